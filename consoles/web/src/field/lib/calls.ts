// 1:1 voice calls over the hub's signaling (call.* events, docs/protocol.md): the hub rings and
// relays, audio flows peer to peer. The caller makes the offer once the call is active; the
// callee is the polite peer (it answers; glare is the caller's win).
import { reactive, shallowRef } from 'vue'
import { newId } from './queue'
import type { Session } from './session'

export interface CallInfo {
  call_id: number
  caller_id: number
  callee_id: number
  media: string
  state: 'ringing' | 'active' | 'ended'
  outcome: string | null
  reason: string | null
}

interface Ringing {
  call_id: number
  caller: { person_id: number; name: string }
  consent?: 'ask' | 'auto'
}

interface Signal {
  call_id: number
  kind: 'offer' | 'answer' | 'candidate' | 'restart'
  sdp?: string
  candidate?: RTCIceCandidateInit
}

type Phase = 'idle' | 'incoming' | 'calling' | 'active' | 'ended'

export class Calls {
  readonly state = reactive({
    phase: 'idle' as Phase, kind: 'call' as 'call' | 'pull', callId: 0, peer: '', peerId: 0, outcome: '', since: 0, error: '',
    link: 'new' as RTCPeerConnectionState, received: 0,
  })
  readonly remote = shallowRef<MediaStream | null>(null)
  /** The camera while a commander pulls this phone's video (shown as a preview). */
  readonly camera = shallowRef<MediaStream | null>(null)
  private pc: RTCPeerConnection | null = null
  private local: MediaStream | null = null
  private caller = false
  private sending: Promise<unknown> = Promise.resolve()
  private early: RTCIceCandidateInit[] = []
  private statsTimer: number | undefined

  constructor(private readonly s: Session) {
    s.onStart((live) => {
      live.on<Ringing>('call.ringing', (r) => this.ringing(r, 'call'))
      live.on<Ringing>('call.pull_request', (r) => this.ringing(r, 'pull'))
      live.on<CallInfo>('call.state', (c) => void this.changed(c))
      live.on<Signal>('call.signal', (sig) => void this.signal(sig))
      live.on<{ call_id: number }>('call.answered_elsewhere', (c) => {
        if (c.call_id === this.state.callId) this.reset()
      })
    })
  }

  async invite(personId: number, name: string): Promise<void> {
    this.caller = true
    Object.assign(this.state, {
      phase: 'calling', kind: 'call', peer: name, peerId: personId, outcome: '', error: '', link: 'new', received: 0,
    })
    try {
      const call = await this.s.live.call<CallInfo>('call.invite', {
        callee_id: personId, media: 'audio', client_call_id: newId(),
      })
      this.state.callId = call.call_id
      if (call.state === 'ended') this.finish(call)
    } catch (e) {
      // No device of theirs is online: say so (call.callee_offline) rather than a failure.
      if ((e as { code?: unknown }).code === 'call.callee_offline') this.state.outcome = 'offline'
      else this.state.error = (e as Error).message
      this.state.phase = 'ended'
    }
  }

  async accept(): Promise<void> {
    this.caller = false
    try {
      await this.prepare()
      await this.s.live.call('call.accept', { call_id: this.state.callId })
    } catch (e) {
      this.state.error = (e as Error).message
      this.close()
      this.state.phase = 'ended'
    }
  }

  async hangup(): Promise<void> {
    const id = this.state.callId
    this.close()
    this.state.phase = 'ended'
    if (id) await this.s.live.call('call.hangup', { call_id: id }).catch(() => undefined)
  }

  reset(): void {
    this.close()
    Object.assign(this.state, { phase: 'idle', callId: 0, peer: '', outcome: '', error: '' })
  }

  /** A call rings, or a commander asks for this phone's camera (video pull, 视频调度): by
   * policy the app asks its user, or accepts at once (consent "auto"). */
  private ringing(r: Ringing, kind: 'call' | 'pull'): void {
    if (this.state.phase !== 'idle' && this.state.phase !== 'ended') return
    this.close()
    Object.assign(this.state, {
      phase: 'incoming', kind, callId: r.call_id, peer: r.caller.name, outcome: '', error: '', link: 'new', received: 0,
    })
    if (kind === 'pull' && r.consent === 'auto') void this.accept()
  }

  private async changed(c: CallInfo): Promise<void> {
    if (c.call_id !== this.state.callId) return
    if (c.state === 'ended') return this.finish(c)
    if (c.state === 'active' && this.state.phase !== 'active') {
      this.state.phase = 'active'
      this.state.since = Date.now()
      if (this.caller) await this.offer()
    }
  }

  private finish(c: CallInfo): void {
    this.close()
    this.state.phase = 'ended'
    this.state.outcome = c.outcome ?? ''
  }

  private async prepare(): Promise<RTCPeerConnection> {
    const ice = await this.s.api.get<{ ice_servers: RTCIceServer[] }>('/calls/ice-servers')
    const pc = new RTCPeerConnection({ iceServers: ice.ice_servers })
    if (this.state.kind === 'pull') {
      // one way: the commander's offer is receive-only; the camera is attached to it on answer
      this.local = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } })
      this.camera.value = this.local
    } else {
      this.local = await navigator.mediaDevices.getUserMedia({ audio: true })
      for (const track of this.local.getTracks()) pc.addTrack(track, this.local)
    }
    pc.ontrack = (ev) => {
      this.remote.value = ev.streams[0] ?? new MediaStream([ev.track])
    }
    pc.onconnectionstatechange = () => {
      this.state.link = pc.connectionState
      if (pc.connectionState === 'connected') this.watchStats(pc)
    }
    pc.onicecandidate = (ev) => {
      const candidate = ev.candidate ? ev.candidate.toJSON() : { candidate: '' }
      void this.send({ call_id: this.state.callId, kind: 'candidate', candidate })
    }
    this.pc = pc
    return pc
  }

  private async offer(): Promise<void> {
    const pc = this.pc ?? (await this.prepare())
    await pc.setLocalDescription(await pc.createOffer())
    await this.send({ call_id: this.state.callId, kind: 'offer', sdp: pc.localDescription?.sdp })
  }

  private async signal(sig: Signal): Promise<void> {
    if (sig.call_id !== this.state.callId) return
    const pc = this.pc ?? (await this.prepare())
    if (sig.kind === 'candidate') {
      if (!sig.candidate?.candidate) return
      if (pc.remoteDescription) await pc.addIceCandidate(sig.candidate).catch(() => undefined)
      else this.early.push(sig.candidate) // before the description it belongs to
      return
    }
    if (sig.kind === 'answer') {
      await pc.setRemoteDescription({ type: 'answer', sdp: sig.sdp })
      return this.addEarly(pc)
    }
    if (this.caller && pc.signalingState === 'have-local-offer') return
    if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' })
    await pc.setRemoteDescription({ type: 'offer', sdp: sig.sdp })
    if (this.state.kind === 'pull') await this.sendCamera(pc)
    await this.addEarly(pc)
    await pc.setLocalDescription(await pc.createAnswer())
    await this.send({ call_id: this.state.callId, kind: 'answer', sdp: pc.localDescription?.sdp })
  }

  /** Signals go one after another, each after the previous one's ack: the hub relays before
   * it acks, so the other side gets them in order (the offer before its candidates). */
  private send(sig: Signal): Promise<unknown> {
    this.sending = this.sending.then(() => this.s.live.call('call.signal', sig).catch(() => undefined))
    return this.sending
  }

  /** Audio packets received so far (shown as the call layer's data-received). */
  private watchStats(pc: RTCPeerConnection): void {
    window.clearInterval(this.statsTimer)
    this.statsTimer = window.setInterval(async () => {
      if (pc.connectionState === 'closed') return window.clearInterval(this.statsTimer)
      const stats = await pc.getStats()
      stats.forEach((r: { type: string; kind?: string; packetsReceived?: number }) => {
        if (r.type === 'inbound-rtp' && r.kind === 'audio') this.state.received = r.packetsReceived ?? 0
      })
    }, 1000)
  }

  private async sendCamera(pc: RTCPeerConnection): Promise<void> {
    const video = this.local?.getVideoTracks()[0] ?? null
    for (const t of pc.getTransceivers()) {
      const isVideo = t.receiver.track.kind === 'video'
      t.direction = isVideo && video ? 'sendonly' : 'inactive'
      if (isVideo) await t.sender.replaceTrack(video)
    }
  }

  private async addEarly(pc: RTCPeerConnection): Promise<void> {
    for (const c of this.early.splice(0)) await pc.addIceCandidate(c).catch(() => undefined)
  }

  private close(): void {
    this.early = []
    window.clearInterval(this.statsTimer)
    this.pc?.close()
    this.pc = null
    for (const t of this.local?.getTracks() ?? []) t.stop()
    this.local = null
    this.remote.value = null
    this.camera.value = null
    this.state.link = 'closed'
  }
}

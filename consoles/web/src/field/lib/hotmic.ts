// SOS hot mic (docs/escalation.md "SOS"): once the hub has the SOS, the phone publishes its
// microphone — and the rear camera when the worker allowed it and the deployment records video
// — to the SOS's recorder on the media service (POST /recordings/publish, complete SDP: the
// media worker does not trickle ICE). The same connection brings back the voice of a commander
// listening live (talk-back). The SOS never waits for the microphone: a phone that cannot get
// one has already raised it and says so.
import { reactive, watch } from 'vue'
import type { Session } from './session'

export type MicState = 'off' | 'starting' | 'live' | 'denied' | 'failed'

const CAMERA_KEY = 'gh.field.sosCamera'
const GATHER_MS = 3000
const TALK_ENERGY = 1e-4 // audio energy per second above which the commander is heard

export class HotMic {
  readonly state = reactive({
    mic: 'off' as MicState, camera: false, link: 'new' as RTCPeerConnectionState,
    /** the worker allows the rear camera on SOS (kept on this phone) */
    cameraAllowed: localStorage.getItem(CAMERA_KEY) === '1',
    /** a commander's voice is coming back (sound, not the relay's silence, in the last second) */
    talkBack: false,
  })
  private readonly speaker = new Audio()
  private pc: RTCPeerConnection | null = null
  private stream: MediaStream | null = null
  private sosId = 0
  private statsTimer: number | undefined
  private energy = 0

  constructor(private readonly s: Session) {
    this.speaker.autoplay = true
    watch(() => s.state.sos, (sos) => {
      if (!sos || sos.state === 'closed') this.stop()
      else if (sos.id > 0 && sos.id !== this.sosId) void this.start(sos.id)
    })
  }

  allowCamera(on: boolean): void {
    this.state.cameraAllowed = on
    localStorage.setItem(CAMERA_KEY, on ? '1' : '0')
  }

  async start(sosId: number): Promise<void> {
    this.stop()
    this.sosId = sosId
    this.state.mic = 'starting'
    const policy = await this.s.api
      .get<{ video: boolean; available: boolean }>('/recordings/policy')
      .catch(() => ({ video: false, available: false }))
    if (this.sosId !== sosId) return
    if (!policy.available) return void (this.state.mic = 'failed') // no media worker to record it
    const stream = await capture(policy.video && this.state.cameraAllowed)
    if (this.sosId !== sosId) return void stream?.getTracks().forEach((t) => t.stop())
    if (!stream) return void (this.state.mic = 'denied')
    this.stream = stream
    this.state.camera = stream.getVideoTracks().length > 0
    try {
      await this.publish(sosId, stream)
      if (this.sosId === sosId) this.state.mic = 'live'
    } catch {
      if (this.sosId === sosId) this.state.mic = 'failed'
    }
  }

  stop(): void {
    this.sosId = 0
    window.clearInterval(this.statsTimer)
    this.energy = 0
    this.pc?.close()
    this.pc = null
    this.stream?.getTracks().forEach((t) => t.stop())
    this.stream = null
    this.speaker.srcObject = null
    Object.assign(this.state, { mic: 'off', camera: false, link: 'new', talkBack: false })
  }

  private async publish(sosId: number, stream: MediaStream): Promise<void> {
    const pc = new RTCPeerConnection({ iceServers: [] })
    this.pc = pc
    // sendrecv: the recorder sends back what a listening commander says
    pc.addTransceiver(stream.getAudioTracks()[0], { direction: 'sendrecv' })
    for (const video of stream.getVideoTracks()) pc.addTransceiver(video, { direction: 'sendonly' })
    pc.ontrack = (ev) => {
      if (ev.track.kind !== 'audio') return
      this.speaker.srcObject = ev.streams[0] ?? new MediaStream([ev.track])
      void this.speaker.play().catch(() => undefined)
    }
    pc.onconnectionstatechange = () => {
      if (this.pc === pc) this.state.link = pc.connectionState
    }
    await pc.setLocalDescription(await pc.createOffer())
    await gathered(pc)
    const reply = await this.s.api.post<{ sdp: string }>('/recordings/publish', {
      kind: 'sos', ref: sosId, sdp: pc.localDescription?.sdp ?? '',
    })
    if (this.pc !== pc) return
    await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp })
    this.statsTimer = window.setInterval(() => void this.listenBack(pc), 1000)
  }

  /** Whether sound came back in the last second (the relay sends silence while nobody talks). */
  private async listenBack(pc: RTCPeerConnection): Promise<void> {
    const stats = await pc.getStats()
    stats.forEach((r: { type: string; kind?: string; totalAudioEnergy?: number }) => {
      if (r.type !== 'inbound-rtp' || r.kind !== 'audio' || this.pc !== pc) return
      const energy = r.totalAudioEnergy ?? 0
      this.state.talkBack = energy - this.energy > TALK_ENERGY
      this.energy = energy
    })
  }
}

/** The microphone (and the rear camera when asked; without it if the camera is refused). */
async function capture(video: boolean): Promise<MediaStream | null> {
  if (!navigator.mediaDevices?.getUserMedia) return null
  const asks: MediaStreamConstraints[] = video
    ? [{ audio: true, video: { facingMode: 'environment' } }, { audio: true }]
    : [{ audio: true }]
  for (const ask of asks) {
    try {
      return await navigator.mediaDevices.getUserMedia(ask)
    } catch {
      // refused or no such device: try the next, smaller ask
    }
  }
  return null
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      if (pc.iceGatheringState !== 'complete') return
      pc.removeEventListener('icegatheringstatechange', done)
      resolve()
    }
    pc.addEventListener('icegatheringstatechange', done)
    window.setTimeout(resolve, GATHER_MS)
  })
}

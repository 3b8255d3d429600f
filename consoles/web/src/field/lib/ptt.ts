// Push-to-talk on a channel (the media service's ptt.* events, media/ptt.py): join the
// channel's PTT room with a WebRTC offer (complete: the media worker does not trickle ICE),
// listen to whoever holds the floor, hold the button to request it and talk, let go to release.
// The microphone track stays disabled unless this phone holds the floor.
import { reactive, shallowRef } from 'vue'
import type { Session } from './session'

export interface FloorHolder {
  person_id: number
  display_name: string
  emergency: boolean
  expires_at: number
}

interface Floor {
  channel_id: number
  holder: FloorHolder | null
  reason: string
}

const GATHER_MS = 3000

export class Ptt {
  readonly state = reactive({
    channelId: 0, joined: false, joining: false, holder: null as FloorHolder | null,
    talking: false, listeners: 0, error: '',
  })
  readonly remote = shallowRef<MediaStream | null>(null)
  private pc: RTCPeerConnection | null = null
  private mic: MediaStream | null = null

  constructor(private readonly s: Session) {
    s.onStart((live) => {
      live.on<Floor>('ptt.floor', (f) => this.floor(f))
      live.on<{ participants: unknown[] }>('ptt.participants', (p) => {
        this.state.listeners = p.participants.length
      })
      live.on<{ channel_id: number; reason: string }>('ptt.ended', (e) => {
        if (e.channel_id !== this.state.channelId) return
        this.close()
        this.state.error = e.reason
      })
    })
  }

  async join(channelId: number): Promise<void> {
    if (this.state.joined && this.state.channelId === channelId) return
    await this.leave()
    Object.assign(this.state, { channelId, joining: true, error: '' })
    try {
      const offer = await this.offer()
      const r = await this.s.live.call<{ sdp: string; floor: FloorHolder | null; participants: unknown[] }>(
        'ptt.join', { channel_id: channelId, sdp: offer }, 15000,
      )
      await this.pc?.setRemoteDescription({ type: 'answer', sdp: r.sdp })
      Object.assign(this.state, { joined: true, holder: r.floor, listeners: r.participants.length })
    } catch (e) {
      this.close()
      this.state.error = (e as Error).message
    } finally {
      this.state.joining = false
    }
  }

  async talk(): Promise<void> {
    if (!this.state.joined) return
    try {
      const r = await this.s.live.call<{ floor: FloorHolder }>('ptt.request', { channel_id: this.state.channelId })
      this.floor({ channel_id: this.state.channelId, holder: r.floor, reason: 'granted' })
    } catch (e) {
      this.state.error = (e as Error).message
    }
  }

  async release(): Promise<void> {
    if (!this.state.talking) return
    this.setMic(false)
    await this.s.live.call('ptt.release', { channel_id: this.state.channelId }).catch(() => undefined)
  }

  async leave(): Promise<void> {
    const id = this.state.channelId
    const was = this.state.joined
    this.close()
    if (was && id) await this.s.live.call('ptt.leave', { channel_id: id }).catch(() => undefined)
  }

  private floor(f: Floor): void {
    if (f.channel_id !== this.state.channelId) return
    this.state.holder = f.holder
    this.setMic(f.holder?.person_id === this.s.me?.person_id)
  }

  private setMic(on: boolean): void {
    this.state.talking = on
    for (const track of this.mic?.getAudioTracks() ?? []) track.enabled = on
  }

  private async offer(): Promise<string> {
    const ice = await this.s.api.get<{ ice_servers: RTCIceServer[] }>('/calls/ice-servers')
    const pc = new RTCPeerConnection({ iceServers: ice.ice_servers })
    this.pc = pc
    this.mic = await navigator.mediaDevices.getUserMedia({ audio: true })
    for (const track of this.mic.getAudioTracks()) {
      track.enabled = false
      pc.addTrack(track, this.mic)
    }
    pc.ontrack = (ev) => {
      this.remote.value = ev.streams[0] ?? new MediaStream([ev.track])
    }
    await pc.setLocalDescription(await pc.createOffer())
    await gathered(pc)
    return pc.localDescription?.sdp ?? ''
  }

  private close(): void {
    this.pc?.close()
    this.pc = null
    for (const t of this.mic?.getTracks() ?? []) t.stop()
    this.mic = null
    this.remote.value = null
    Object.assign(this.state, { joined: false, holder: null, talking: false, listeners: 0 })
  }
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

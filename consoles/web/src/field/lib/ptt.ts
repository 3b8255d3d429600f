// Push-to-talk on a channel (the media service's ptt.* events, media/ptt.py): join the
// channel's PTT room with a WebRTC offer (complete: the media worker does not trickle ICE),
// listen to whoever holds the floor, hold the button to request it and talk, let go to release.
// The microphone track stays disabled unless this phone holds the floor.
// Replies and events arrive in no fixed order (an event can overtake the reply to ptt.join or
// ptt.request), so who holds the floor and who listens each carry a version (floor_version,
// roster_version) and the phone keeps the highest it has seen for the channel it is on.
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
  floor_version: number
}

interface Roster {
  room_id: string
  participants: unknown[]
  roster_version: number
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
  private floorVersion = -1
  /** the button is down: a release before the grant arrives must still give the floor back */
  private held = false
  private rosterVersion = 0

  constructor(private readonly s: Session) {
    s.onStart((live) => {
      live.on<Floor>('ptt.floor', (f) => this.floor(f))
      live.on<Roster>('ptt.participants', (r) => this.roster(r))
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
    // The channel is ours from here, before any await: events that overtake the reply count.
    Object.assign(this.state, { channelId, joining: true, error: '' })
    this.floorVersion = -1
    this.rosterVersion = 0
    try {
      const offer = await this.offer()
      const r = await this.s.live.call<Roster & { sdp: string; floor: FloorHolder | null; floor_version: number }>(
        'ptt.join', { channel_id: channelId, sdp: offer }, 15000,
      )
      this.roster(r)
      this.floor({ channel_id: channelId, holder: r.floor, floor_version: r.floor_version })
      await this.pc?.setRemoteDescription({ type: 'answer', sdp: r.sdp })
      this.state.joined = true
    } catch (e) {
      this.close()
      this.state.error = (e as Error).message
    } finally {
      this.state.joining = false
    }
  }

  async talk(): Promise<void> {
    if (!this.state.joined) return
    this.held = true
    try {
      const channelId = this.state.channelId
      const r = await this.s.live.call<{ floor: FloorHolder; floor_version: number }>('ptt.request', { channel_id: channelId })
      this.floor({ channel_id: channelId, holder: r.floor, floor_version: r.floor_version })
    } catch (e) {
      this.state.error = (e as Error).message
    }
  }

  async release(): Promise<void> {
    this.held = false // a grant still on its way is given back when it comes (floor())
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

  /** Whether a word about `channelId` is about the channel this phone is on (or joining). */
  private on(channelId: number): boolean {
    return (this.state.joined || this.state.joining) && channelId === this.state.channelId
  }

  private floor(f: Floor): void {
    if (!this.on(f.channel_id) || f.floor_version <= this.floorVersion) return
    this.floorVersion = f.floor_version
    this.state.holder = f.holder
    const mine = f.holder?.person_id === this.s.me?.person_id
    this.setMic(mine && this.held)
    if (mine && !this.held) void this.giveBack(f.channel_id) // let go before the grant came
  }

  private async giveBack(channelId: number): Promise<void> {
    await this.s.live.call('ptt.release', { channel_id: channelId }).catch(() => undefined)
  }

  private roster(r: Roster): void {
    // A PTT room is "ptt:<channel id>" (docs/protocol.md); other rooms' rosters are not ours.
    if (r.room_id !== `ptt:${this.state.channelId}` || !this.on(this.state.channelId)) return
    if (r.roster_version <= this.rosterVersion) return
    this.rosterVersion = r.roster_version
    this.state.listeners = r.participants.length
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
    this.floorVersion = -1
    this.rosterVersion = 0
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

// The media service from the console (docs/protocol.md "Group calls and push-to-talk",
// docs/media.md): group audio and push-to-talk on a channel, the video wall (video pull of
// workers' cameras through the call signaling, and fixed cameras), recordings with playback.
// Media-worker offers and answers are complete SDP (no trickle ICE); the gathered offer and the
// microphone's audio peer are shared/groupCall.ts's, the same as plugins' group calls use.
import { defineStore } from 'pinia'
import { reactive, ref, shallowRef } from 'vue'
import { showError } from '@/shared/app'
import { gatheredOffer, JOIN_TIMEOUT_MS, sendMicrophone, type CallPerson, type Roster } from '@/shared/groupCall'
import { newId } from '@/shared/time'
import type { CallInfo, CallSignal } from '@/shared/types'
import { api, realtime } from './session'

/** Who speaks in a group call, ordered the same way by `speaker_version`. */
interface Speaker {
  room_id: string
  person_id: number | null
  speaker_version: number
}

export interface FloorHolder {
  person_id: number
  display_name: string
  rank: number
  emergency: boolean
  granted_at: number
  expires_at: number
}

/** A peer connection sending the microphone (if any) and playing what comes back. */
async function audioPeer(onStream: (stream: MediaStream) => void): Promise<{ pc: RTCPeerConnection; mic: MediaStreamTrack | null }> {
  const pc = new RTCPeerConnection({ iceServers: [] })
  return { pc, mic: await sendMicrophone(pc, onStream) }
}

export const useGroup = defineStore('group-call', () => {
  const roomId = ref<string | null>(null)
  const channelId = ref<number | null>(null)
  const participants = ref<CallPerson[]>([])
  const speaker = ref<number | null>(null)
  const moderator = ref(false)
  const muted = ref(false)
  const stream = shallowRef<MediaStream | null>(null)
  const connection = ref<string>('new')
  /** audio packets received from the mix (checked every second while in the call) */
  const received = ref(0)
  let pc: RTCPeerConnection | null = null
  let mic: MediaStreamTrack | null = null
  let subscribed = false
  let statsTimer: number | undefined
  let rosterVersion = 0
  let speakerVersion = -1
  /** rosters and speakers that arrived while joining, before the reply named our room (maybe newer) */
  const early = new Map<string, Roster>()
  const earlySpeaker = new Map<string, Speaker>()

  function applyRoster(roster: Roster | undefined): void {
    if (!roster || roster.roster_version <= rosterVersion) return
    rosterVersion = roster.roster_version
    participants.value = roster.participants
  }

  function applySpeaker(word: Speaker | undefined): void {
    if (!word || word.speaker_version <= speakerVersion) return
    speakerVersion = word.speaker_version
    speaker.value = word.person_id
  }

  function keepEarly(roster: Roster): void {
    const kept = early.get(roster.room_id)
    if (!kept || kept.roster_version < roster.roster_version) early.set(roster.room_id, roster)
  }

  function keepEarlySpeaker(word: Speaker): void {
    const kept = earlySpeaker.get(word.room_id)
    if (!kept || kept.speaker_version < word.speaker_version) earlySpeaker.set(word.room_id, word)
  }

  function subscribe(): void {
    if (subscribed) return
    subscribed = true
    realtime.on<Roster>('group.participants', (e) => {
      if (e.room_id === roomId.value) applyRoster(e)
      else if (roomId.value === null) keepEarly(e)
    })
    realtime.on<Speaker>('group.active_speaker', (e) => {
      if (e.room_id === roomId.value) applySpeaker(e)
      else if (roomId.value === null) keepEarlySpeaker(e)
    })
    realtime.on<{ room_id: string; reason: string }>('group.ended', (e) => {
      if (e.room_id === roomId.value) close()
    })
  }

  async function join(channel: number): Promise<void> {
    subscribe()
    if (roomId.value) await leave()
    try {
      const made = await audioPeer((s) => (stream.value = s))
      pc = made.pc
      mic = made.mic
      const peer = pc
      peer.onconnectionstatechange = () => (connection.value = peer.connectionState)
      statsTimer = window.setInterval(() => void countReceived(peer), 1000)
      early.clear()
      earlySpeaker.clear()
      const reply = await realtime.call<Roster & { sdp: string; moderator: boolean; active_speaker: number | null; speaker_version: number }>(
        'group.join',
        { channel_id: channel, sdp: await gatheredOffer(pc) },
        JOIN_TIMEOUT_MS,
      )
      // Our room is known from here on, before any await, so no roster or speaker is dropped.
      Object.assign(roomId, { value: reply.room_id })
      applyRoster(reply)
      applyRoster(early.get(reply.room_id))
      applySpeaker({ room_id: reply.room_id, person_id: reply.active_speaker, speaker_version: reply.speaker_version })
      applySpeaker(earlySpeaker.get(reply.room_id))
      early.clear()
      earlySpeaker.clear()
      await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp })
      channelId.value = channel
      moderator.value = reply.moderator
    } catch (error) {
      close()
      showError(error)
    }
  }

  async function countReceived(peer: RTCPeerConnection): Promise<void> {
    const stats = await peer.getStats()
    stats.forEach((report: { type: string; kind?: string; packetsReceived?: number }) => {
      if (report.type === 'inbound-rtp' && report.kind === 'audio') received.value = report.packetsReceived ?? 0
    })
  }

  async function toggleMute(): Promise<void> {
    if (!roomId.value) return
    await realtime.call('group.mute', { room_id: roomId.value, muted: !muted.value }).catch(showError)
    muted.value = !muted.value
    if (mic) mic.enabled = !muted.value
  }

  async function muteAll(): Promise<void> {
    if (roomId.value) await realtime.call('group.mute', { room_id: roomId.value, all: true, muted: true }).catch(showError)
  }

  async function end(): Promise<void> {
    if (roomId.value) await realtime.call('group.end', { room_id: roomId.value }).catch(showError)
    close()
  }

  async function leave(): Promise<void> {
    if (roomId.value) await realtime.call('group.leave', { room_id: roomId.value }).catch(() => undefined)
    close()
  }

  function close(): void {
    window.clearInterval(statsTimer)
    pc?.close()
    mic?.stop()
    pc = null
    mic = null
    connection.value = 'new'
    received.value = 0
    roomId.value = null
    channelId.value = null
    participants.value = []
    rosterVersion = 0
    early.clear()
    speaker.value = null
    speakerVersion = -1
    earlySpeaker.clear()
    stream.value = null
    muted.value = false
  }

  return { roomId, channelId, participants, speaker, moderator, muted, stream, connection, received, join, toggleMute, muteAll, end, leave }
})

/** Who holds a channel's floor. Replies (`ptt.join`, `ptt.request`) and `ptt.floor` events
 * arrive in no fixed order (an event can overtake a reply): the higher `floor_version` is newer. */
interface Floor {
  channel_id: number
  holder: FloorHolder | null
  floor_version: number
}

export const usePtt = defineStore('ptt', () => {
  const channelId = ref<number | null>(null)
  const holder = ref<FloorHolder | null>(null)
  const talking = ref(false)
  const stream = shallowRef<MediaStream | null>(null)
  let pc: RTCPeerConnection | null = null
  let mic: MediaStreamTrack | null = null
  let subscribed = false
  let floorVersion = -1
  /** the channel being joined: its floor events count before the join reply (they may be newer) */
  let joining: number | null = null
  /** the button is down: a release before the request's reply must still give the floor back */
  let held = false

  function applyFloor(word: Floor): void {
    if (word.channel_id !== (channelId.value ?? joining) || word.floor_version <= floorVersion) return
    floorVersion = word.floor_version
    holder.value = word.holder
    talking.value = talking.value && word.holder !== null
    if (mic) mic.enabled = talking.value
  }

  function subscribe(): void {
    if (subscribed) return
    subscribed = true
    realtime.on<Floor>('ptt.floor', applyFloor)
    realtime.on<{ channel_id: number }>('ptt.ended', (e) => {
      if (e.channel_id === channelId.value) close()
    })
  }

  async function join(channel: number): Promise<void> {
    subscribe()
    if (channelId.value !== null) await leave()
    joining = channel // from here, before any await
    floorVersion = -1
    try {
      const made = await audioPeer((s) => (stream.value = s))
      pc = made.pc
      mic = made.mic
      if (mic) mic.enabled = false
      const reply = await realtime.call<{ sdp: string; floor: FloorHolder | null; floor_version: number }>(
        'ptt.join',
        { channel_id: channel, sdp: await gatheredOffer(pc) },
        JOIN_TIMEOUT_MS,
      )
      applyFloor({ channel_id: channel, holder: reply.floor, floor_version: reply.floor_version })
      await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp })
      channelId.value = channel
    } catch (error) {
      close()
      showError(error)
    } finally {
      joining = null
    }
  }

  async function press(emergency = false): Promise<void> {
    const channel = channelId.value
    if (channel === null) return
    held = true
    try {
      const reply = await realtime.call<{ floor: FloorHolder; floor_version: number }>('ptt.request', { channel_id: channel, emergency })
      applyFloor({ channel_id: channel, holder: reply.floor, floor_version: reply.floor_version })
      if (floorVersion !== reply.floor_version) return // a newer word (another holder) came first
      if (!held) {
        // let go while the request was on its way: the floor granted now goes straight back
        await realtime.call('ptt.release', { channel_id: channel }).catch(() => undefined)
        return
      }
      talking.value = true
      if (mic) mic.enabled = true
    } catch (error) {
      showError(error)
    }
  }

  async function release(): Promise<void> {
    held = false // a request still on its way gives the floor back when its reply comes
    if (channelId.value === null || !talking.value) return
    talking.value = false
    if (mic) mic.enabled = false
    await realtime.call('ptt.release', { channel_id: channelId.value }).catch(() => undefined)
  }

  async function leave(): Promise<void> {
    if (channelId.value !== null) await realtime.call('ptt.leave', { channel_id: channelId.value }).catch(() => undefined)
    close()
  }

  function close(): void {
    pc?.close()
    mic?.stop()
    pc = null
    mic = null
    channelId.value = null
    holder.value = null
    floorVersion = -1
    talking.value = false
    stream.value = null
  }

  return { channelId, holder, talking, stream, join, press, release, leave }
})

export interface Tile {
  key: string
  label: string
  kind: 'pull' | 'camera'
  state: string
  stream: MediaStream | null
  /** the feed has sound (a fixed camera with a microphone); the wall starts it muted */
  audio?: boolean
}

interface Camera {
  camera_id: number
  name: string
  enabled: boolean
}

/** The video wall: workers' cameras pulled through the call signaling, and fixed cameras. */
export const useWall = defineStore('video-wall', () => {
  const tiles = reactive(new Map<string, Tile>())
  const peers = new Map<string, RTCPeerConnection>()
  const calls = new Map<number, string>()
  const cameras = ref<Camera[]>([])
  let subscribed = false

  function subscribe(): void {
    if (subscribed) return
    subscribed = true
    realtime.on<CallInfo>('call.state', (state) => void onState(state))
    realtime.on<CallSignal>('call.signal', (signal) => void onSignal(signal))
  }

  function videoPeer(key: string, trickle: number | null, sound = false): RTCPeerConnection {
    const pc = new RTCPeerConnection({ iceServers: [] })
    pc.addTransceiver('video', { direction: 'recvonly' })
    // a camera's sound, when it has some: the gateway answers with an audio track only then
    if (sound) pc.addTransceiver('audio', { direction: 'recvonly' })
    pc.ontrack = (event) => {
      const tile = tiles.get(key)
      if (!tile) return
      const stream = tile.stream ?? new MediaStream()
      stream.addTrack(event.track)
      tiles.set(key, { ...tile, stream, state: 'live', audio: tile.audio || event.track.kind === 'audio' })
    }
    if (trickle !== null) {
      pc.onicecandidate = (event) => {
        const candidate = event.candidate ? event.candidate.toJSON() : { candidate: '' }
        void realtime.call('call.signal', { call_id: trickle, kind: 'candidate', candidate }).catch(() => undefined)
      }
    }
    peers.set(key, pc)
    return pc
  }

  async function pull(workerId: number, label: string): Promise<void> {
    subscribe()
    try {
      const call = await realtime.call<CallInfo>('call.pull', { worker_id: workerId, client_call_id: newId() })
      const key = `pull-${call.call_id}`
      calls.set(call.call_id, key)
      tiles.set(key, { key, label, kind: 'pull', state: call.state, stream: null })
    } catch (error) {
      showError(error)
    }
  }

  async function onState(state: CallInfo): Promise<void> {
    const key = calls.get(state.call_id)
    const tile = key ? tiles.get(key) : undefined
    if (!key || !tile) return
    tiles.set(key, { ...tile, state: state.state === 'ended' ? (state.outcome ?? 'ended') : state.state })
    if (state.state === 'ended') return drop(key, false)
    if (state.state === 'active' && !peers.has(key)) {
      const pc = videoPeer(key, state.call_id)
      await pc.setLocalDescription(await pc.createOffer())
      await realtime.call('call.signal', { call_id: state.call_id, kind: 'offer', sdp: pc.localDescription?.sdp })
    }
  }

  async function onSignal(signal: CallSignal): Promise<void> {
    const key = calls.get(signal.call_id)
    const pc = key ? peers.get(key) : undefined
    if (!pc) return
    if (signal.kind === 'answer') await pc.setRemoteDescription({ type: 'answer', sdp: signal.sdp })
    else if (signal.kind === 'candidate' && signal.candidate?.candidate) await pc.addIceCandidate(signal.candidate)
  }

  async function loadCameras(): Promise<void> {
    const reply = await api.get<Camera[] | { cameras: Camera[] }>('/api/v1/cameras').catch(() => [] as Camera[])
    cameras.value = Array.isArray(reply) ? reply : reply.cameras
  }

  async function watch(camera: Camera): Promise<void> {
    const key = `camera-${camera.camera_id}`
    if (tiles.has(key)) return
    tiles.set(key, { key, label: camera.name, kind: 'camera', state: 'connecting', stream: null })
    try {
      const pc = videoPeer(key, null, true)
      const reply = await api.post<{ viewer_id: string; sdp: string }>(`/api/v1/cameras/${camera.camera_id}/watch`, { sdp: await gatheredOffer(pc) })
      await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp })
    } catch (error) {
      drop(key, false)
      showError(error)
    }
  }

  function drop(key: string, hangup = true): void {
    peers.get(key)?.close()
    peers.delete(key)
    for (const [callId, k] of calls) {
      if (k !== key) continue
      calls.delete(callId)
      if (hangup) void realtime.call('call.hangup', { call_id: callId }).catch(() => undefined)
    }
    tiles.delete(key)
  }

  return { tiles, cameras, pull, loadCameras, watch, drop }
})

export interface Recording {
  id: number
  kind: string
  state: string
  media: string
  content_type: string
  channel_id: number | null
  subject: string | null
  started_by: number | null
  participants: number[]
  started_at: number | string
  duration_s: number | null
  size: number | null
}

export async function recordings(): Promise<Recording[]> {
  const reply = await api.get<Recording[] | { recordings: Recording[]; items?: Recording[] }>('/api/v1/recordings', { limit: 50 })
  if (Array.isArray(reply)) return reply
  return reply.recordings ?? reply.items ?? []
}

/** A URL an <audio>/<video> element can play (a signed ticket: elements cannot send a token). */
export async function playable(id: number): Promise<string> {
  const reply = await api.post<{ url: string }>(`/api/v1/recordings/${id}/ticket`)
  return reply.url
}

// A group call on a channel owned by an object (`group.join` with `channel_ref`, e.g. a plugin's
// "meeting:12", docs/media.md), for plugin components on any signed-in page (the console and
// the field app): the microphone goes to the channel's mixed room and the mix comes back.
// `<GroupCall>` of `@gridhub/host` (shared/components/GroupCall.vue) is its face. The media
// worker takes complete SDP (no trickle ICE), so the offer waits for its candidates.
import { onUnmounted, ref, shallowRef } from 'vue'
import { HubError } from './api'
import { hostSession } from './host'
import type { Realtime } from './socket'

const GATHER_MS = 5000
/** how long the reply to a join (`group.join`, `ptt.join`) is waited for */
export const JOIN_TIMEOUT_MS = 20_000

export interface CallPerson {
  person_id: number
  display_name: string
  muted: boolean
}

/** Who is in a group call. The join reply and `group.participants` events both carry one, in
 * no fixed order (an event can overtake the reply): the higher `roster_version` is newer. */
export interface Roster {
  room_id: string
  participants: CallPerson[]
  roster_version: number
}

// The media primitives below are shared with the console's own calls (console/media.ts:
// group audio, push-to-talk, the video wall, 1:1 call recording).

/** An offer with every ICE candidate in it (media workers do not trickle): waits for the
 * gathering to complete, at most GATHER_MS. */
export async function gatheredOffer(pc: RTCPeerConnection): Promise<string> {
  await pc.setLocalDescription(await pc.createOffer())
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      const timer = window.setTimeout(resolve, GATHER_MS)
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState !== 'complete') return
        window.clearTimeout(timer)
        resolve()
      })
    })
  }
  return pc.localDescription?.sdp ?? ''
}

async function microphone(): Promise<MediaStreamTrack | null> {
  try {
    return (await navigator.mediaDevices.getUserMedia({ audio: true })).getAudioTracks()[0] ?? null
  } catch {
    return null // no microphone (or refused): the call is heard, not spoken in
  }
}

/** Send the microphone (when there is one) on a new two-way audio transceiver of `pc` and hand
 * what comes back to `onStream`; resolves with the microphone's track (to mute or stop). */
export async function sendMicrophone(pc: RTCPeerConnection, onStream: (stream: MediaStream) => void): Promise<MediaStreamTrack | null> {
  const mic = await microphone()
  const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' })
  if (mic) await transceiver.sender.replaceTrack(mic)
  pc.ontrack = (event) => onStream(event.streams[0] ?? new MediaStream([event.track]))
  return mic
}

function socket(): Realtime {
  const session = hostSession()
  if (!session) throw new HubError({ code: 'socket.closed', message: 'not connected' })
  return session.realtime
}

/** One group call's state; call `join(ref)`, `leave()`. Leaves when the component unmounts. */
export function useGroupCall() {
  const roomId = ref<string | null>(null)
  const people = ref<CallPerson[]>([])
  const stream = shallowRef<MediaStream | null>(null)
  const connection = ref('new')
  const muted = ref(false)
  let pc: RTCPeerConnection | null = null
  let mic: MediaStreamTrack | null = null
  let version = 0
  const stops: (() => void)[] = []

  function roster(word: Roster | undefined): void {
    if (!word || word.room_id !== roomId.value || word.roster_version <= version) return
    version = word.roster_version
    people.value = word.participants
  }

  function listen(): void {
    if (stops.length) return
    const live = socket()
    stops.push(live.on<Roster>('group.participants', roster))
    stops.push(live.on<{ room_id: string }>('group.ended', (e) => e.room_id === roomId.value && close()))
  }

  async function join(channelRef: string): Promise<void> {
    listen()
    const peer = new RTCPeerConnection({ iceServers: [] })
    pc = peer
    mic = await sendMicrophone(peer, (s) => (stream.value = s))
    peer.onconnectionstatechange = () => (connection.value = peer.connectionState)
    try {
      const offer = await gatheredOffer(peer)
      const reply = await socket().call<Roster & { sdp: string }>('group.join', { channel_ref: channelRef, sdp: offer }, JOIN_TIMEOUT_MS)
      roomId.value = reply.room_id
      roster(reply)
      await peer.setRemoteDescription({ type: 'answer', sdp: reply.sdp })
    } catch (error) {
      close()
      throw error
    }
  }

  async function toggleMute(): Promise<void> {
    if (!roomId.value) return
    await socket().call('group.mute', { room_id: roomId.value, muted: !muted.value })
    muted.value = !muted.value
    if (mic) mic.enabled = !muted.value
  }

  async function leave(): Promise<void> {
    const room = roomId.value
    close()
    if (room) await socket().call('group.leave', { room_id: room }).catch(() => undefined)
  }

  function close(): void {
    pc?.close()
    mic?.stop()
    pc = mic = null
    roomId.value = null
    people.value = []
    version = 0
    stream.value = null
    connection.value = 'new'
    muted.value = false
  }

  onUnmounted(() => {
    void leave()
    stops.splice(0).forEach((stop) => stop())
  })
  return { roomId, people, stream, connection, muted, join, leave, toggleMute }
}

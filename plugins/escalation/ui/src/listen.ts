// Live listening to an SOS (docs/escalation.md "SOS"): the commander who took it joins the
// SOS's recorder on the media service as a listener (POST /api/v1/recordings/listen, complete
// SDP: media workers do not trickle ICE) and hears the worker's hot mic; the console's
// microphone rides along, muted until the commander talks back. When the worker shares the
// rear camera, the recorder hands its picture on too (a receive-only video m-line).
import { reactive, shallowRef } from 'vue'
import { api, showError } from '@gridhub/host'

const GATHER_MS = 3000

export const listening = reactive({
  sosId: 0,
  state: 'off' as 'off' | 'connecting' | 'live',
  /** audio packets received from the recorder, and the sound energy in them (checked every
   * second while listening: the relay sends silence until the worker's microphone is heard) */
  received: 0,
  energy: 0,
  talking: false,
  canTalk: false,
  /** video frames decoded from the worker's rear camera (0: no picture, e.g. not shared) */
  frames: 0,
})
/** The rear camera's picture while listening (a <video> element shows it). */
export const picture = shallowRef<MediaStream | null>(null)

let pc: RTCPeerConnection | null = null
let mic: MediaStreamTrack | null = null
let statsTimer: number | undefined
const speaker = new Audio()
speaker.autoplay = true

export async function listen(sosId: number): Promise<void> {
  stopListening()
  Object.assign(listening, { sosId, state: 'connecting' })
  const made = new RTCPeerConnection({ iceServers: [] })
  pc = made
  mic = await microphone()
  const transceiver = made.addTransceiver('audio', { direction: 'sendrecv' })
  if (mic) {
    mic.enabled = false // talk-back only while the commander asks for it
    await transceiver.sender.replaceTrack(mic)
  }
  listening.canTalk = mic !== null
  made.addTransceiver('video', { direction: 'recvonly' })
  made.ontrack = (ev) => {
    const stream = new MediaStream([ev.track])
    if (ev.track.kind === 'video') return void (picture.value = stream)
    speaker.srcObject = stream
    void speaker.play().catch(() => undefined)
  }
  try {
    const reply = await api.post<{ sdp: string }>('/api/v1/recordings/listen', { kind: 'sos', ref: sosId, sdp: await gathered(made) })
    if (pc !== made) return
    await made.setRemoteDescription({ type: 'answer', sdp: reply.sdp })
    listening.state = 'live'
    statsTimer = window.setInterval(() => void count(made), 1000)
  } catch (error) {
    if (pc === made) stopListening()
    showError(error)
  }
}

export function talk(on: boolean): void {
  if (!mic) return
  mic.enabled = on
  listening.talking = on
}

export function stopListening(): void {
  window.clearInterval(statsTimer)
  pc?.close()
  pc = null
  mic?.stop()
  mic = null
  speaker.srcObject = null
  picture.value = null
  Object.assign(listening, { sosId: 0, state: 'off', received: 0, energy: 0, talking: false, canTalk: false, frames: 0 })
}

async function count(made: RTCPeerConnection): Promise<void> {
  const stats = await made.getStats()
  stats.forEach((r: { type: string; kind?: string; packetsReceived?: number; totalAudioEnergy?: number; framesDecoded?: number }) => {
    if (r.type !== 'inbound-rtp' || pc !== made) return
    if (r.kind === 'video') return void (listening.frames = r.framesDecoded ?? 0)
    if (r.kind !== 'audio') return
    listening.received = r.packetsReceived ?? 0
    listening.energy = r.totalAudioEnergy ?? 0
  })
}

async function microphone(): Promise<MediaStreamTrack | null> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true })
    return stream.getAudioTracks()[0] ?? null
  } catch {
    return null // listening still works; only talking back needs a microphone
  }
}

async function gathered(made: RTCPeerConnection): Promise<string> {
  await made.setLocalDescription(await made.createOffer())
  if (made.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      const timer = window.setTimeout(resolve, GATHER_MS)
      made.addEventListener('icegatheringstatechange', () => {
        if (made.iceGatheringState !== 'complete') return
        window.clearTimeout(timer)
        resolve()
      })
    })
  }
  return made.localDescription?.sdp ?? ''
}

// A voice message (语音留言) for someone a call could not reach: record a short clip in the
// browser (MediaRecorder), upload it to the direct channel with them and send it as a `voice`
// message (hub/chat.py; the hub sniffs the clip as audio/webm or audio/mp4 from its tracks).
// The command console and the field app pass their own socket and upload (VoiceTransport).
import { reactive } from 'vue'
import { newId } from './time'

/** The longest clip: a voice message, not a recording of the day. */
export const VOICE_MAX_S = 60

export interface VoiceTransport {
  /** a socket event with its acknowledgement (rejects with the hub's error) */
  call<T>(event: string, data: object): Promise<T>
  /** POST /api/v1/channels/<id>/files */
  upload(channelId: number, clip: Blob, name: string): Promise<{ file_id: string | number }>
}

type Phase = 'idle' | 'recording' | 'recorded' | 'sending' | 'sent'

// What the browser records in: Opus in WebM (Chromium, Firefox), else AAC in MP4 (Safari).
const TYPES = ['audio/webm;codecs=opus', 'audio/webm', 'audio/mp4']

function recorderType(): string | undefined {
  return TYPES.find((type) => MediaRecorder.isTypeSupported(type))
}

export class VoiceNote {
  readonly state = reactive({ phase: 'idle' as Phase, seconds: 0, url: '' })
  private recorder: MediaRecorder | null = null
  private chunks: Blob[] = []
  private clip: Blob | null = null
  private started = 0
  private ticker: number | undefined

  /** Whether this browser can record at all (no microphone API: no voice message offered). */
  static supported(): boolean {
    return typeof MediaRecorder !== 'undefined' && !!navigator.mediaDevices?.getUserMedia
  }

  async start(): Promise<void> {
    this.discard()
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false })
    const recorder = new MediaRecorder(stream, { mimeType: recorderType() })
    recorder.ondataavailable = (event) => event.data.size && this.chunks.push(event.data)
    recorder.onstop = () => this.recorded(recorder, stream)
    this.recorder = recorder
    this.started = Date.now()
    recorder.start()
    Object.assign(this.state, { phase: 'recording', seconds: 0 })
    this.ticker = window.setInterval(() => this.tick(), 250)
  }

  /** Stop recording; the clip is kept for listening and sending. */
  stop(): void {
    if (this.recorder?.state === 'recording') this.recorder.stop()
  }

  async send(io: VoiceTransport, personId: number): Promise<void> {
    const clip = this.clip
    if (!clip) return
    this.state.phase = 'sending'
    try {
      const { channel } = await io.call<{ channel: { id: number } }>('channel.direct', { person_id: personId })
      const name = clip.type.includes('mp4') ? 'voice.m4a' : 'voice.webm'
      const uploaded = await io.upload(channel.id, clip, name)
      const body = { file_id: String(uploaded.file_id), duration_s: this.state.seconds }
      await io.call('channel.send', { channel_id: channel.id, client_msg_id: newId(), kind: 'voice', body })
      this.state.phase = 'sent'
    } catch (error) {
      this.state.phase = 'recorded' // the clip stays: send again
      throw error
    }
  }

  discard(): void {
    this.stop()
    window.clearInterval(this.ticker)
    if (this.state.url) URL.revokeObjectURL(this.state.url)
    this.recorder = null
    this.chunks = []
    this.clip = null
    Object.assign(this.state, { phase: 'idle', seconds: 0, url: '' })
  }

  private tick(): void {
    this.state.seconds = Math.min(VOICE_MAX_S, Math.round((Date.now() - this.started) / 100) / 10)
    if (this.state.seconds >= VOICE_MAX_S) this.stop()
  }

  private recorded(recorder: MediaRecorder, stream: MediaStream): void {
    window.clearInterval(this.ticker)
    stream.getTracks().forEach((track) => track.stop())
    if (this.recorder !== recorder) return // discarded meanwhile
    this.clip = new Blob(this.chunks, { type: recorder.mimeType || 'audio/webm' })
    this.state.seconds = Math.max(0.1, Math.round((Date.now() - this.started) / 100) / 10)
    Object.assign(this.state, { phase: 'recorded', url: URL.createObjectURL(this.clip) })
  }
}

/** m:ss of a clip's length. */
export function clipLength(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}

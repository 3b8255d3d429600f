// Chat on my channels: the list, history of the open channel, live messages in offset order
// (a message is known by its channel and offset), sending through the queue (client_msg_id
// makes a resend harmless), photos uploaded to the channel first.
import { reactive } from 'vue'
import { newId } from './queue'
import type { Session } from './session'
import type { Channel, Member, Message } from './types'

export class Chat {
  readonly state = reactive({
    channels: [] as Channel[],
    open: null as Channel | null,
    messages: [] as Message[],
    members: [] as Member[],
    pending: [] as { client_msg_id: string; text: string }[],
  })

  constructor(private readonly s: Session) {
    s.onStart((live) => live.on<Message>('channel.message', (m) => this.arrived(m)))
  }

  async load(): Promise<void> {
    const r = await this.s.live.call<{ channels: Channel[] }>('channel.list', {})
    this.state.channels = r.channels
  }

  async openChannel(ch: Channel): Promise<void> {
    this.state.open = ch
    this.state.messages = []
    const r = await this.s.live.call<{ messages: Message[] }>('channel.history', { channel_id: ch.id, limit: 50 })
    this.state.messages = r.messages
    const m = await this.s.live.call<{ members: Member[] }>('channel.members', { channel_id: ch.id })
    this.state.members = m.members
    await this.markRead()
  }

  close(): void {
    this.state.open = null
    this.state.messages = []
    this.state.members = []
  }

  async sendText(text: string): Promise<void> {
    const ch = this.state.open
    if (!ch || !text.trim()) return
    const id = newId()
    this.state.pending.push({ client_msg_id: id, text })
    await this.s.queue.submit({ kind: 'chat', channel_id: ch.id, client_msg_id: id, text })
  }

  async sendPhoto(file: File): Promise<void> {
    const ch = this.state.open
    if (!ch) return
    const form = new FormData()
    form.append('file', file, file.name)
    const up = await this.s.api.upload<{ file_id: number }>(`/channels/${ch.id}/files`, form)
    await this.s.live.call('channel.send', {
      channel_id: ch.id, client_msg_id: newId(), kind: 'image', body: { file_id: up.file_id },
    })
  }

  fileUrl(fileId: number): Promise<string> {
    return this.s.api.fileUrl(`/files/${fileId}`)
  }

  private arrived(m: Message): void {
    const ch = this.state.channels.find((c) => c.id === m.channel_id)
    if (ch) ch.last_offset = Math.max(ch.last_offset, m.offset)
    this.state.pending = this.state.pending.filter((p) => p.client_msg_id !== m.client_msg_id)
    if (this.state.open?.id !== m.channel_id) {
      if (ch && m.sender_id !== this.s.me?.person_id) ch.unread += 1
      return
    }
    if (this.state.messages.some((x) => x.offset === m.offset)) return
    this.state.messages.push(m)
    this.state.messages.sort((a, b) => a.offset - b.offset)
    void this.markRead()
  }

  private async markRead(): Promise<void> {
    const ch = this.state.open
    const last = this.state.messages.at(-1)
    if (!ch || !last) return
    ch.unread = 0
    await this.s.live.call('channel.read', { channel_id: ch.id, offset: last.offset }).catch(() => undefined)
  }
}

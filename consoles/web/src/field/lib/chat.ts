// Chat on my channels: the list, history of the open channel, live messages in offset order
// through the shared channel log (gaps recovered, recovery after a reconnect: a message is known
// by its channel and offset), sending through the queue (client_msg_id makes a resend
// harmless), photos uploaded to the channel first.
import { reactive, watch } from 'vue'
import { ChannelFollower, type ChannelHead, type HistoryPage } from '@/shared/channelLog'
import { allAfter } from '@/shared/pages'
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
    // channels with an unread message that @mentions me (the 消息 badge is highlighted)
    mentioned: [] as number[],
  })

  private follower: ChannelFollower<Message> | null = null

  constructor(private readonly s: Session) {
    s.onStart((live) => {
      live.on<Message>('channel.message', (m) => this.arrived(m))
      live.on<ChannelHead>('channel.head', (h) => {
        if (h.channel_id === this.follower?.channelId) this.follower.onHead(h)
      })
    })
    watch(s.shared.realtime.connects, () => this.follower?.reconnected())
  }

  /** Unread messages over all my channels: the 消息 tab's badge. */
  get unread(): number {
    return this.state.channels.reduce((n, c) => n + c.unread, 0)
  }

  async load(): Promise<void> {
    this.state.channels = await allAfter(this.s.live, 'channel.list', {}, (r) => r.channels as Channel[], (c) => c.id)
  }

  async openChannel(ch: Channel): Promise<void> {
    this.state.open = ch
    this.state.messages = []
    const log = this.follow(ch.id) // first, so live messages during the history call are held
    log.begin(await this.s.live.call<HistoryPage<Message>>('channel.history', { channel_id: ch.id, limit: 50 }))
    const channel = { channel_id: ch.id }
    this.state.members = await allAfter(this.s.live, 'channel.members', channel, (r) => r.members as Member[], (m) => m.person_id)
    await this.markRead()
  }

  close(): void {
    this.follower?.close()
    this.follower = null
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
    const up = await this.s.api.upload<{ file_id: string }>(`/channels/${ch.id}/files`, form)
    await this.s.live.call('channel.send', {
      channel_id: ch.id, client_msg_id: newId(), kind: 'image', body: { file_id: up.file_id },
    })
  }

  fileUrl(fileId: string): Promise<string> {
    return this.s.api.fileUrl(`/files/${fileId}`)
  }

  private follow(channelId: number): ChannelFollower<Message> {
    this.follower?.close()
    const call = (event: string, data: object) => this.s.live.call<unknown>(event, data)
    this.follower = new ChannelFollower<Message>(channelId, call, {
      applied: (list) => {
        this.state.messages.push(...list)
        void this.markRead()
      },
      reloaded: (history) => {
        this.state.messages = history.messages
        void this.markRead()
      },
    })
    return this.follower
  }

  private arrived(m: Message): void {
    const ch = this.state.channels.find((c) => c.id === m.channel_id)
    this.state.pending = this.state.pending.filter((p) => p.client_msg_id !== m.client_msg_id)
    if (this.state.open?.id === m.channel_id) this.follower?.accept(m)
    // A channel made after the list was loaded: the hub's list brings it with its unread count.
    if (!ch) return void this.load().then(() => this.noteMention(m)).catch(() => undefined)
    // Unread grows by how far the last offset moved (a repeat or a late arrival counts once).
    if (m.offset <= ch.last_offset) return
    const mine = m.sender_id === this.s.me?.person_id
    if (this.state.open?.id !== m.channel_id && !mine) {
      ch.unread += m.offset - ch.last_offset
      this.noteMention(m)
    }
    ch.last_offset = m.offset
  }

  private noteMention(m: Message): void {
    const me = this.s.me?.person_id
    const forMe = me !== undefined && (m.mentions ?? []).includes(me)
    if (forMe && this.state.open?.id !== m.channel_id && !this.state.mentioned.includes(m.channel_id)) {
      this.state.mentioned.push(m.channel_id)
    }
  }

  private async markRead(): Promise<void> {
    const ch = this.state.open
    const last = this.state.messages.at(-1)
    if (!ch || !last) return
    ch.unread = 0
    this.state.mentioned = this.state.mentioned.filter((id) => id !== ch.id)
    await this.s.live.call('channel.read', { channel_id: ch.id, offset: last.offset }).catch(() => undefined)
  }
}

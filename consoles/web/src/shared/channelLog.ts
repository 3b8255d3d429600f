// One channel's messages held the way docs/protocol.md ("Delivery and recovery") asks: applied
// in offset order, each once; a later message is held until the gap below it fills; the client
// recovers from the highest *contiguous* offset when a gap is not filled live within
// GAP_WAIT_MS, on a `channel.head` ahead of it, and after every reconnect. In a cluster live
// messages can arrive out of offset order (each node sends what it commits), and one whose node
// died before sending it never arrives live; a visible offset N+1 means N is committed, so a
// recovery always finds it. The TypeScript twin of loadtests/channel_log.py; the console's chat
// panel and the field app's chat follow their open channel with it.

export const GAP_WAIT_MS = 1000 // cross-node reorders fill within milliseconds
export const RELOAD_LIMIT = 50

export interface LogMessage {
  channel_id: number
  offset: number
  epoch: string
}

export interface ChannelHead {
  channel_id: number
  epoch: string
  last_offset: number
}

export interface HistoryPage<M extends LogMessage> {
  epoch: string
  last_offset: number
  min_offset: number
  messages: M[]
}

interface RecoverResult<M extends LogMessage> {
  recovered: boolean
  epoch: string
  last_offset: number
  messages: M[]
  more?: boolean
}

/** The socket's acked call: resolves with the ack's fields, rejects on an error or no answer. */
export type Call = (event: string, data: object) => Promise<unknown>

export interface FollowerEvents<M extends LogMessage> {
  /** Messages that now apply, in offset order, each exactly once. */
  applied(messages: M[]): void
  /** Start again from these newest messages (another epoch, or recovery refused). */
  reloaded(history: HistoryPage<M>): void
}

export class ChannelFollower<M extends LogMessage> {
  epoch: string | null = null
  /** Every offset up to this one is applied; null until `begin`. */
  contiguous: number | null = null
  head = 0
  private held = new Map<number, M>()
  private stale = false
  private timer: ReturnType<typeof setTimeout> | undefined
  private recovering = false
  private again = false
  private closed = false

  constructor(
    readonly channelId: number,
    private readonly call: Call,
    private readonly events: FollowerEvents<M>,
    private readonly gapWaitMs = GAP_WAIT_MS,
  ) {}

  /** Start from a `channel.history` reply (the newest messages). */
  begin(history: HistoryPage<M>): void {
    for (const m of history.messages) if (!this.held.has(m.offset)) this.held.set(m.offset, m)
    const first = history.messages[0]
    this.position(history.epoch, first ? first.offset - 1 : history.last_offset)
    this.events.reloaded({ ...history, messages: this.drain() })
    this.watch()
  }

  /** A live `channel.message` (or a send's ack) of this channel. */
  accept(message: M): void {
    this.take(message)
    if (this.stale) this.recoverNow()
    else this.watch()
  }

  /** A `channel.head`: whatever is missing below it will not come live; recover now. */
  onHead(hint: ChannelHead): void {
    this.noteHead(hint.epoch, hint.last_offset)
    if (this.missing || this.stale) this.recoverNow()
  }

  /** After every (re)connect: recover from the contiguous offset. */
  reconnected(): void {
    this.recoverNow()
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
  }

  get missing(): boolean {
    return this.contiguous !== null && this.head > this.contiguous
  }

  private position(epoch: string, offset: number): void {
    this.epoch = epoch
    this.contiguous = offset
    this.stale = false
    for (const [o, m] of this.held) if (o <= offset || m.epoch !== epoch) this.held.delete(o)
    this.head = Math.max(offset, ...this.held.keys())
  }

  private take(message: M): void {
    if (this.epoch !== null && message.epoch !== this.epoch) {
      this.stale = true
      return
    }
    this.head = Math.max(this.head, message.offset)
    if (this.contiguous !== null && message.offset <= this.contiguous) return // a duplicate
    if (!this.held.has(message.offset)) this.held.set(message.offset, message)
    const applied = this.drain()
    if (applied.length) this.events.applied(applied)
  }

  private drain(): M[] {
    const applied: M[] = []
    if (this.contiguous === null) return applied
    for (let next = this.held.get(this.contiguous + 1); next; next = this.held.get(this.contiguous + 1)) {
      this.held.delete(next.offset)
      applied.push(next)
      this.contiguous += 1
    }
    return applied
  }

  private noteHead(epoch: string, lastOffset: number): void {
    if (this.epoch !== null && epoch !== this.epoch) this.stale = true
    else this.head = Math.max(this.head, lastOffset)
  }

  /** Arm the gap timer when something is missing and no recovery runs (also the retry pace
   * after a failed recovery, so a lost connection never makes a tight loop). */
  private watch(): void {
    if (this.closed) return
    if (!this.missing && !this.stale) {
      clearTimeout(this.timer)
      this.timer = undefined
    } else if (this.timer === undefined && !this.recovering) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        if (this.missing || this.stale) this.recoverNow()
      }, this.gapWaitMs)
    }
  }

  private recoverNow(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.closed) return
    if (this.recovering) {
      this.again = true
      return
    }
    this.recovering = true
    void this.recover().finally(() => {
      this.recovering = false
      if (this.again) {
        this.again = false
        this.recoverNow()
      } else {
        this.watch()
      }
    })
  }

  private async recover(): Promise<void> {
    try {
      if (this.stale || this.contiguous === null || this.epoch === null) await this.reload()
      else await this.recoverFrom(this.epoch, this.contiguous)
    } catch {
      // disconnected or refused: the gap timer, a head or the reconnect tries again
    }
  }

  private async recoverFrom(epoch: string, offset: number): Promise<void> {
    for (;;) {
      const position = { channel_id: this.channelId, offset, epoch }
      const reply = (await this.call('channel.recover', { channels: [position] })) as { results: RecoverResult<M>[] }
      const result = reply.results[0]
      if (this.closed || !result) return
      if (!result.recovered) return this.reload()
      this.noteHead(result.epoch, result.last_offset)
      for (const message of result.messages) this.take(message)
      const reached = this.contiguous
      if (!result.more || reached === null || reached <= offset) return
      offset = reached
    }
  }

  private async reload(): Promise<void> {
    const asked = { channel_id: this.channelId, limit: RELOAD_LIMIT }
    const history = (await this.call('channel.history', asked)) as HistoryPage<M>
    if (this.closed) return
    const first = history.messages[0]
    for (const m of history.messages) this.held.set(m.offset, m)
    this.position(history.epoch, first ? first.offset - 1 : history.last_offset)
    this.events.reloaded({ ...history, messages: this.drain() })
  }
}

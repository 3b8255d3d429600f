// A system line in a channel ("dispatch.handle" with who did it) in the page's language:
// 张三 · 处置完成：已清理完毕. The names are the shared messages' `notices.*`; a notice
// without one shows its code, so a new kind is visible rather than silently blank.
type Translate = (key: string) => string
type Exists = (key: string) => boolean

export function noticeText(t: Translate, te: Exists, body: Record<string, unknown>): string {
  const code = String(body.notice ?? '')
  const key = `notices.${code}`
  const what = te(key) ? t(key) : code
  const actor = typeof body.actor === 'string' && body.actor ? `${body.actor} · ` : ''
  const note = typeof body.note === 'string' && body.note ? `：${body.note}` : ''
  return `${actor}${what}${note}`
}

// Socket replies that list things come in pages (docs/protocol.md): the hub answers at most a
// page and says `more`, with where to go on from (`after` = the last id, or `next_since` for a
// track). These ask again until the last page, but at most MAX_PAGES times, so a hub that keeps
// saying `more` cannot keep a page asking for ever; what was read by then is shown.

/** Pages asked for one list at most: 20 × 500 channels or members, 20 × 5000 people or points. */
export const MAX_PAGES = 20

type Caller = { call<T>(event: string, data: object): Promise<T> }

/** Every row of an event paged by `after` = the id of the last row (`presence.who`,
 *  `channel.list`, `channel.members`). */
export async function allAfter<Row>(
  live: Caller,
  event: string,
  data: object,
  rowsOf: (reply: Record<string, unknown>) => Row[],
  idOf: (row: Row) => number,
): Promise<Row[]> {
  const rows: Row[] = []
  let after = 0
  for (let page = 0; page < MAX_PAGES; page++) {
    const reply = await live.call<Record<string, unknown> & { more?: boolean }>(event, { ...data, after })
    const got = rowsOf(reply)
    rows.push(...got)
    if (!reply.more || got.length === 0) break
    after = idOf(got[got.length - 1])
  }
  return rows
}

/** All read markers of a channel (`channel.markers`: `{person_id: offset}` per page). */
export async function allMarkers(live: Caller, channelId: number): Promise<Map<number, number>> {
  const markers = new Map<number, number>()
  let after = 0
  for (let page = 0; page < MAX_PAGES; page++) {
    const reply = await live.call<{ markers: Record<string, number>; more?: boolean }>(
      'channel.markers', { channel_id: channelId, after },
    )
    const people = Object.keys(reply.markers).map(Number)
    for (const person of people) markers.set(person, reply.markers[String(person)])
    if (!reply.more || people.length === 0) break
    after = Math.max(...people)
  }
  return markers
}

/** Every point of a person's track from `since` (`location.track`, paged by `next_since`). */
export async function allTrack<Point>(
  live: Caller,
  data: { person_id: number; since: number; until?: number },
): Promise<Point[]> {
  const points: Point[] = []
  let since = data.since
  for (let page = 0; page < MAX_PAGES; page++) {
    const reply = await live.call<{ points: Point[]; more?: boolean; next_since?: number | null }>(
      'location.track', { ...data, since, limit: 5000 },
    )
    points.push(...reply.points)
    if (!reply.more || reply.next_since === null || reply.next_since === undefined) break
    since = reply.next_since
  }
  return points
}

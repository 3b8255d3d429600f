// The plugin's HTTP routes and socket event, as the page and the panel use them.
import { api, realtime } from '@gridhub/host'

export interface Greeting {
  id: number
  grid_id: number
  grid_name: string | null
  text: string
  lat: number | null
  lon: number | null
  author: string
  created_at: number
}

export async function newest(): Promise<Greeting[]> {
  const answer = await api.get<{ greetings: Greeting[] }>('/api/v1/hello/greetings')
  return answer.greetings
}

/** Post over the socket (`hello.post`); the ack carries the stored greeting. */
export async function post(gridId: number, text: string): Promise<Greeting> {
  const ack = await realtime.emit<{ greeting: Greeting }>('hello.post', { grid_id: gridId, text })
  return ack.greeting
}

/** Greetings posted on the keeper's grids by anyone, live; returns the function that stops. */
export function onPosted(handler: (greeting: Greeting) => void): () => void {
  return realtime.on<{ greeting: Greeting }>('hello.greeting', (data) => handler(data.greeting))
}

export function merged(list: Greeting[], greeting: Greeting): Greeting[] {
  return [greeting, ...list.filter((item) => item.id !== greeting.id)]
}

// Shapes of the hub's HTTP and socket payloads shared by every page.
// Field names follow the hub exactly (snake_case), as documented in docs/protocol.md.
import type { Feature, Geometry } from 'geojson'

/** The house error shape: a stable dotted code and a message for people. */
export interface HubErrorBody {
  code: string
  message: string
  details?: Record<string, unknown>
}

/** Every socket acknowledgement: `{ok: true, ...}` or `{ok: false, error}`. */
export type Ack<T> = ({ ok: true } & T) | { ok: false; error: HubErrorBody }

export interface TokenPair {
  access_token: string
  /** only for API clients that sign in without `cookie: true`; the pages never get one */
  refresh_token?: string
  token_type: string
  expires_in: number
}

export interface Grant {
  role: string
  grid_id: number | null
  grid: string | null
  grid_name: string | null
}

export interface Me {
  person_id: number
  username: string
  display_name: string
  is_admin: boolean
  /** admin, or a staff role (core or a plugin's): the hub takes their position reports */
  is_staff: boolean
  roles: Grant[]
}

export interface GridNode {
  id: number
  code: string
  name: string
  level: string
  kind: string
  parent_id: number | null
  depth: number
  centre: [number, number] | null
  covers: number[]
  in_scope: boolean
  properties: Record<string, unknown>
  boundary: Geometry | null
}

export interface GeoFeatureCollection {
  type: 'FeatureCollection'
  features: Feature[]
}

export type PresenceState = 'online' | 'busy' | 'away' | 'on_call' | 'sos' | 'offline'

export interface Location {
  lat: number
  lon: number
  at: number
  accuracy?: number | null
  heading?: number | null
  speed?: number | null
  battery?: number | null
  stale?: boolean
}

export interface PresenceRow {
  person_id: number
  username: string
  name: string
  state: PresenceState
  devices: number
  last_seen: number | null
  grids: number[]
  location: Location | null
}

export interface LocationChanged extends Location {
  person_id: number
  username: string
  name: string
}

export type MessageKind = 'text' | 'image' | 'voice' | 'file' | 'location' | 'system'

export interface ChannelMessage {
  id: number
  channel_id: number
  offset: number
  epoch: string
  sender_id: number | null
  client_msg_id: string | null
  kind: MessageKind
  body: Record<string, unknown>
  mentions: number[]
  created_at: number
}

export type CoreChannelKind = 'grid' | 'adhoc' | 'direct'

export interface Channel {
  id: number
  /** A core kind, or the kind of a plugin's object that owns the channel (any name). */
  kind: CoreChannelKind | (string & {})
  grid_id: number | null
  ref: string | null
  name: string
  epoch: string
  last_offset: number
  min_offset: number
  read_offset: number
  unread: number
  created_by: number | null
  created_at: number
}

export interface ChannelMember {
  person_id: number
  username: string
  name: string
  role: string
  read_offset: number
}

export interface UploadedFile {
  file_id: number
  channel_id: number
  name: string
  content_type: string
  size: number
  sha256: string
}

export type CallState = 'ringing' | 'active' | 'ended'

export interface CallInfo {
  call_id: number
  caller_id: number
  callee_id: number
  media: 'audio' | 'video'
  state: CallState
  outcome: string | null
  reason: string | null
  started_at: number
  answered_at: number | null
  ended_at: number | null
  duration_s: number
}

export interface CallRinging {
  call_id: number
  media: 'audio' | 'video'
  caller: { person_id: number; username: string; name: string }
  ring_timeout_s: number
}

export interface CallSignal {
  call_id: number
  kind: 'offer' | 'answer' | 'candidate' | 'restart'
  sdp?: string
  candidate?: RTCIceCandidateInit
  from?: 'caller' | 'callee'
}

export interface IceServers {
  ice_servers: RTCIceServer[]
  ttl_s: number
  expires_at: number
}

/** The base map the hub serves itself (the map_tiles setting: an MBTiles package). */
export interface MapTiles {
  url: string
  /** [west, south, east, north]: no tile is asked for outside */
  bounds: [number, number, number, number] | null
  min_zoom: number
  max_zoom: number
  attribution: string
}

export interface UiConfig {
  tile_url: string | null
  tiles?: MapTiles | null
  pages: string[]
  /** IANA zone every time on the pages is shown in */
  time_zone: string
}

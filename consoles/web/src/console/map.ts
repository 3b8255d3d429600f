// The live map: Leaflet with no tile layer unless the deployment has a base map: the hub's own
// (an MBTiles package, `tiles`, drawn within its bounds and zooms and scaled beyond them) or an
// intranet tile server (`map_tile_url`).
// Grid polygons come from the hub's grid API (GeoJSON geometry); people, devices, alarms and
// incidents are markers kept in layer groups keyed by id, updated in place.
// Names and titles go to Leaflet as DOM nodes (shared/text.ts), never as HTML strings: Leaflet
// would parse a string as HTML, and a title comes from anyone who files an appeal.
import 'leaflet/dist/leaflet.css'
import L from 'leaflet'
import type { Geometry } from 'geojson'
import { element, textElement } from '@/shared/text'
import { clock } from '@/shared/time'
import type { GridNode, MapTiles, PresenceRow } from '@/shared/types'
import type { Alarm, Device, Incident } from './types'

export type LayerName = 'grids' | 'people' | 'devices' | 'alarms' | 'incidents'

export interface GridShade {
  alarms: number
  incidents: number
}

const PRESENCE_COLOURS: Record<string, string> = {
  online: '#3ddc84',
  busy: '#f5c518',
  away: '#8aa0bf',
  on_call: '#2fa7ff',
  sos: '#ff3b4e',
  offline: '#5b6b82',
}
const PRIORITY_COLOURS: Record<string, string> = {
  urgent: '#ff3b4e',
  high: '#ff8a1f',
  normal: '#2fa7ff',
  low: '#8aa0bf',
}
const BLINK: Record<string, string> = {
  CRITICAL: 'gh-blink-fast',
  MAJOR: 'gh-blink',
  MINOR: 'gh-blink-slow',
}

export interface MapHandlers {
  onGrid(grid: GridNode): void
  onPerson(person: PresenceRow): void
  onDevice(device: Device): void
  onAlarm(alarm: Alarm): void
  onIncident(incident: Incident): void
}

function baseLayer(base: MapTiles | string | null): L.TileLayer | null {
  if (!base) return null
  if (typeof base === 'string') return L.tileLayer(base, { maxZoom: 19 })
  const [west, south, east, north] = base.bounds ?? [-180, -85, 180, 85]
  return L.tileLayer(base.url, {
    maxZoom: 19,
    minNativeZoom: base.min_zoom,
    maxNativeZoom: base.max_zoom,
    bounds: L.latLngBounds([south, west], [north, east]),
    className: 'gh-base-map',
  })
}

/** A padded fit of the view to bounds (LiveMap.fit). */
type Fit = { padding: [number, number]; maxZoom?: number }

export class LiveMap {
  readonly map: L.Map
  private readonly layers: Record<LayerName, L.LayerGroup>
  private readonly markers = new Map<string, L.Marker>()
  private readonly gridLayers = new Map<number, L.GeoJSON>()
  private track: L.LayerGroup | null = null
  private trackTimer: number | undefined
  private viewBeforeTrack: { center: L.LatLng; zoom: number } | null = null
  private readonly resizes: ResizeObserver
  private zooming = false
  private focusAt: [number, number, number] | null = null
  /** a fit asked for while the map had no room for it (hidden), made once it has */
  private fitLater: [L.LatLngBounds, Fit] | null = null

  constructor(element: HTMLElement, base: MapTiles | string | null, private readonly handlers: MapHandlers) {
    this.map = L.map(element, { zoomControl: true, attributionControl: false, zoomSnap: 0.25 })
    baseLayer(base)?.addTo(this.map)
    this.map.setView([36.9, 118.75], 11)
    // Leaflet drops a setView made while a zoom is animating (_tryAnimatedZoom): focus() waits
    this.map.on('zoomanim', () => { this.zooming = true })
    this.map.on('zoomend', () => { this.zooming = false })
    // the settled view, a test hook (a resize mid-zoom reports a move before the zoom ends)
    this.map.on('moveend zoomend', () => { if (!this.zooming) element.dataset.view = this.view() })
    // Leaflet watches the window, not its element: a side panel opening beside the map would
    // leave it centring on the old width (the picked person off to one side)
    this.resizes = new ResizeObserver(() => {
      this.map.invalidateSize()
      this.fitPending()
    })
    this.resizes.observe(element)
    this.layers = {
      grids: L.layerGroup().addTo(this.map),
      incidents: L.layerGroup().addTo(this.map),
      devices: L.layerGroup().addTo(this.map),
      alarms: L.layerGroup().addTo(this.map),
      people: L.layerGroup().addTo(this.map),
    }
  }

  destroy(): void {
    this.resizes.disconnect()
    window.clearInterval(this.trackTimer)
    this.map.remove()
  }

  show(name: LayerName, visible: boolean): void {
    const layer = this.layers[name]
    if (visible) layer.addTo(this.map)
    else layer.remove()
  }

  setGrids(grids: GridNode[]): void {
    this.layers.grids.clearLayers()
    this.gridLayers.clear()
    const ordered = [...grids].filter((g) => g.boundary).sort((a, b) => a.depth - b.depth)
    for (const grid of ordered) {
      const layer = L.geoJSON(grid.boundary as Geometry, {
        style: () => gridStyle(grid, { alarms: 0, incidents: 0 }),
        interactive: grid.level === 'grid' || grid.kind !== 'basic',
      })
      layer.on('click', () => this.handlers.onGrid(grid))
      if (grid.level === 'village') {
        layer.bindTooltip(textElement(grid.name), { permanent: true, direction: 'center', className: 'gh-grid-label' })
      }
      layer.addTo(this.layers.grids)
      this.gridLayers.set(grid.id, layer)
    }
    const bounds = this.layers.grids.getLayers().length
      ? L.featureGroup(this.layers.grids.getLayers()).getBounds()
      : null
    if (bounds?.isValid()) this.fit(bounds, { padding: [20, 20] })
  }

  /** `fitBounds`, or later if the map is smaller than the padding: kept alive off-screen
   * (another console page shown) its container measures 0 x 0, and Leaflet's zoom for a
   * padded fit is then log2 of a negative scale, NaN ("Invalid LatLng object: (NaN, NaN)").
   * The grids arrive (first load, every reconnect) whichever page is shown. */
  private fit(bounds: L.LatLngBounds, options: Fit): void {
    const element = this.map.getContainer()
    const [x, y] = options.padding
    if (element.clientWidth <= 2 * x || element.clientHeight <= 2 * y) {
      this.fitLater = [bounds, options]
      return
    }
    this.fitLater = null
    this.map.invalidateSize() // its size may have changed since the last resize was reported
    this.map.fitBounds(bounds, options)
  }

  private fitPending(): void {
    if (this.fitLater) this.fit(...this.fitLater)
  }

  shade(shades: Map<number, GridShade>, grids: GridNode[]): void {
    for (const grid of grids) {
      const layer = this.gridLayers.get(grid.id)
      layer?.setStyle(gridStyle(grid, shades.get(grid.id) ?? { alarms: 0, incidents: 0 }))
    }
  }

  focusGrid(grid: GridNode): void {
    const layer = this.gridLayers.get(grid.id)
    if (layer) this.fit(layer.getBounds(), { padding: [30, 30], maxZoom: 15 })
  }

  /** Centre on a point; during a zoom animation (the grids' fit, a wheel turn) once it ends,
   * since Leaflet ignores a view asked for meanwhile. The last focus asked for wins. */
  focus(lat: number, lon: number, zoom = 15): void {
    this.focusAt = [lat, lon, zoom]
    if (this.zooming) {
      this.map.once('zoomend', () => this.focusPending())
      return
    }
    this.focusPending()
  }

  private focusPending(): void {
    if (!this.focusAt) return
    const [lat, lon, zoom] = this.focusAt
    this.focusAt = null
    this.map.setView([lat, lon], zoom)
  }

  setPeople(people: PresenceRow[]): void {
    this.sync('people', 'p', people.filter((p) => p.location), (p) => {
      const location = p.location as NonNullable<PresenceRow['location']>
      const stale = location.stale || p.state === 'offline'
      const colour = PRESENCE_COLOURS[p.state] ?? '#fff'
      const body = element('div', {
        className: `gh-dot${p.state === 'sos' ? ' gh-blink-fast' : ''}`,
        style: { background: colour, opacity: stale ? '0.45' : '1', borderStyle: stale ? 'dashed' : '' },
      })
      return {
        id: p.person_id,
        at: [location.lat, location.lon],
        body,
        size: 14,
        tooltip: p.name,
        click: () => this.handlers.onPerson(p),
        testid: `person-${p.username}`,
      }
    })
  }

  setDevices(devices: Device[]): void {
    this.sync('devices', 'd', devices.filter((d) => d.lat !== null && d.lon !== null), (d) => ({
      id: d.id,
      at: [d.lat as number, d.lon as number],
      body: element('div', { className: 'gh-device', style: { opacity: d.active ? '1' : '0.4' } }),
      size: 12,
      tooltip: d.name,
      click: () => this.handlers.onDevice(d),
      testid: `device-${d.code}`,
    }))
  }

  /** Active alarms at their device; `title` names one in the page's language (紧急 · 燃气泄漏). */
  setAlarms(alarms: Alarm[], devices: Map<number, Device>, title: (alarm: Alarm) => string): void {
    const placed = alarms.filter((a) => a.active && devices.get(a.device_id)?.lat != null)
    this.sync('alarms', 'a', placed, (a) => {
      const device = devices.get(a.device_id) as Device
      const blink = a.acknowledged ? '' : (BLINK[a.severity] ?? '')
      return {
        id: a.id,
        at: [device.lat as number, device.lon as number],
        body: element('div', { className: `gh-alarm-ring sev-${a.severity} ${blink}` }),
        size: 26,
        tooltip: `${title(a)} · ${device.name}`,
        click: () => this.handlers.onAlarm(a),
        testid: `alarm-${a.id}`,
      }
    })
  }

  /** Incidents at their point, or (reported by grid code only) at their grid's centre. */
  setIncidents(incidents: Incident[], grids: Map<number, GridNode>): void {
    const where = (i: Incident): [number, number] | null => {
      if (i.lat !== null && i.lon !== null) return [i.lat, i.lon]
      const centre = i.grid_id === null ? null : grids.get(i.grid_id)?.centre
      return centre ? [centre[1], centre[0]] : null
    }
    const placed = incidents.filter((i) => where(i) !== null)
    this.sync('incidents', 'i', placed, (i) => ({
      id: i.id,
      at: where(i) as [number, number],
      body: element('div', {
        className: `gh-pin${i.overdue ? ' gh-blink-slow' : ''}`,
        style: { background: PRIORITY_COLOURS[i.priority] ?? '#2fa7ff' },
      }),
      size: 22,
      anchorBottom: true,
      tooltip: `${i.number} ${i.title}`,
      click: () => this.handlers.onIncident(i),
      testid: `incident-${i.id}`,
    }))
  }

  /** Draw a worker's track and move a marker along it; returns false when it has no points.
   * Each point tells its time (the first and last always, the others on hover) and the runner
   * shows the time of the point it stands on; stopTrack() returns to the view before playing. */
  playTrack(points: { lat: number; lon: number; at: number }[]): boolean {
    const before = this.viewBeforeTrack ?? { center: this.map.getCenter(), zoom: this.map.getZoom() }
    this.stopTrack()
    this.map.getContainer().dataset.trackPoints = String(points.length)
    if (!points.length) return false
    this.viewBeforeTrack = before
    const line = points.map((p) => L.latLng(p.lat, p.lon))
    this.track = L.layerGroup().addTo(this.map)
    L.polyline(line, { color: '#19d3c5', weight: 3, dashArray: '6 4', className: 'gh-track' }).addTo(this.track)
    points.forEach((p, i) => this.trackPoint(line[i], p.at, i === 0 || i === points.length - 1))
    const runner = L.circleMarker(line[0], { radius: 7, color: '#fff', fillColor: '#19d3c5', fillOpacity: 1 })
    runner.bindTooltip(clock(points[0].at, false), { permanent: true, direction: 'right', className: 'gh-track-now' })
    runner.addTo(this.track)
    this.map.fitBounds(L.latLngBounds(line), { padding: [40, 40], maxZoom: 16 })
    let step = 0
    this.trackTimer = window.setInterval(() => {
      step += 1
      if (step >= line.length) {
        window.clearInterval(this.trackTimer)
        return
      }
      runner.setLatLng(line[step])
      runner.setTooltipContent(clock(points[step].at, false))
    }, Math.max(40, Math.min(400, 8000 / line.length)))
    return true
  }

  /** Stop a playback and put the map back where it was before 播放. */
  stopTrack(): void {
    window.clearInterval(this.trackTimer)
    this.track?.remove()
    this.track = null
    if (this.viewBeforeTrack) this.map.setView(this.viewBeforeTrack.center, this.viewBeforeTrack.zoom, { animate: false })
    this.viewBeforeTrack = null
  }

  /** The map's centre and zoom, e.g. "36.90000,118.75000,11" (a test hook on the container too). */
  view(): string {
    const c = this.map.getCenter()
    return `${c.lat.toFixed(5)},${c.lng.toFixed(5)},${this.map.getZoom()}`
  }

  private trackPoint(at: L.LatLng, time: number, labelled: boolean): void {
    const dot = L.circleMarker(at, { radius: 3, color: '#19d3c5', fillOpacity: 1, className: 'gh-track-point' })
    dot.bindTooltip(clock(time, false), { permanent: labelled, direction: 'top', className: 'gh-track-time' })
    dot.addTo(this.track as L.LayerGroup)
  }

  private sync<T>(name: LayerName, prefix: string, items: T[], describe: (item: T) => MarkerSpec): void {
    const seen = new Set<string>()
    for (const item of items) {
      const spec = describe(item)
      const key = `${prefix}${spec.id}`
      seen.add(key)
      const icon = L.divIcon({
        className: 'gh-marker',
        html: element('div', {
          data: { testid: spec.testid, lat: String(spec.at[0]), lon: String(spec.at[1]) },
          children: [spec.body],
        }),
        iconSize: [spec.size, spec.size],
        iconAnchor: spec.anchorBottom ? [spec.size / 2, spec.size] : [spec.size / 2, spec.size / 2],
      })
      const existing = this.markers.get(key)
      if (existing) {
        existing.setLatLng(spec.at)
        existing.setIcon(icon)
        existing.off('click')
        existing.on('click', spec.click)
        existing.setTooltipContent(textElement(spec.tooltip))
        continue
      }
      const marker = L.marker(spec.at, { icon }).bindTooltip(textElement(spec.tooltip), { direction: 'top', offset: [0, -8] })
      marker.on('click', spec.click)
      marker.addTo(this.layers[name])
      this.markers.set(key, marker)
    }
    for (const [key, marker] of this.markers) {
      if (key.startsWith(prefix) && !seen.has(key)) {
        marker.remove()
        this.markers.delete(key)
      }
    }
  }
}

interface MarkerSpec {
  id: number
  at: [number, number]
  /** the marker's look; its text, if any, set as text */
  body: HTMLElement
  size: number
  anchorBottom?: boolean
  /** shown as text */
  tooltip: string
  click: () => void
  testid: string
}

function gridStyle(grid: GridNode, shade: GridShade): L.PathOptions {
  const overlay = grid.kind !== 'basic'
  const base: L.PathOptions = { className: `gh-grid gh-grid-${grid.level}${overlay ? ' gh-grid-overlay' : ''}` }
  if (overlay) return { ...base, color: '#b57bff', weight: 1.5, dashArray: '5 5', fill: false }
  switch (grid.level) {
    case 'county':
      return { ...base, color: '#2fa7ff', weight: 3, fill: false }
    case 'town':
      return { ...base, color: '#3d8bff', weight: 2, fill: false }
    case 'village':
      return { ...base, color: '#4d6d9a', weight: 1.5, fill: false }
    default: {
      const colour = shade.alarms ? '#ff3b4e' : shade.incidents ? '#ff8a1f' : '#1d4f8f'
      const opacity = shade.alarms ? 0.45 : shade.incidents ? Math.min(0.2 + shade.incidents * 0.08, 0.5) : 0.18
      return { ...base, color: '#2c5a92', weight: 1, fillColor: colour, fillOpacity: opacity }
    }
  }
}

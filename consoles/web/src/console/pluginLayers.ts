// Plugins' map layers (hub/ui.py MapLayer) on the live map: GeoJSON read from the layer's
// `source` through the console's API client, drawn with its `style` (Point features as circle
// markers, or the layer's icon), names shown as text only. A layer is read once, when first
// switched on; a `viewport` layer is read for the map's view (bbox and zoom) and again each
// time the map stops moving (debounced, the read still under way aborted), so it can answer
// clusters when zoomed out and single features when zoomed in.
import L from 'leaflet'
import type { Feature, FeatureCollection, Geometry } from 'geojson'
import type { Contribution, LayerStyle } from '@/shared/extensions'
import type { Query } from '@/shared/api'
import { textElement } from '@/shared/text'
import { api } from './session'

export type PluginLayer = Contribution<'map_layers'>

/** Quiet time after the map's last move before viewport layers are read again. */
const MOVE_SETTLE_MS = 250

export class PluginLayers {
  private readonly drawn = new Map<string, L.GeoJSON>()
  private readonly wanted = new Map<string, boolean>()
  /** shown viewport layers, read again when the map moves */
  private readonly following = new Map<string, PluginLayer>()
  private readonly reading = new Map<string, AbortController>()
  private settle: ReturnType<typeof setTimeout> | undefined

  /** `onError`: a viewport layer's read after a move failed (the caller switches it off). */
  constructor(
    private readonly map: L.Map,
    private readonly onError: (key: string, error: unknown) => void,
  ) {
    map.on('moveend', () => this.moved())
  }

  /** Show or hide a layer; its data is read the first time it is shown (rejects when it
   * cannot be read, and then it stays off). */
  async show(key: string, layer: PluginLayer, visible: boolean): Promise<void> {
    this.wanted.set(key, visible)
    if (layer.viewport) return this.follow(key, layer, visible)
    let drawn = this.drawn.get(key)
    if (visible && !drawn) {
      const data = await api.get<FeatureCollection>(layer.source)
      drawn = this.drawn.get(key) ?? draw(key, data, layer.style)
      this.drawn.set(key, drawn)
    }
    if (!drawn) return
    if (this.wanted.get(key)) drawn.addTo(this.map)
    else drawn.remove()
  }

  /** Stop reading (the map is going away). */
  destroy(): void {
    clearTimeout(this.settle)
    for (const controller of this.reading.values()) controller.abort()
    this.following.clear()
  }

  private async follow(key: string, layer: PluginLayer, visible: boolean): Promise<void> {
    if (visible) {
      this.following.set(key, layer)
      return this.read(key, layer)
    }
    this.following.delete(key)
    this.reading.get(key)?.abort()
    this.drawn.get(key)?.remove()
  }

  private moved(): void {
    clearTimeout(this.settle)
    this.settle = setTimeout(() => {
      for (const [key, layer] of this.following) {
        this.read(key, layer).catch((error: unknown) => this.onError(key, error))
      }
    }, MOVE_SETTLE_MS)
  }

  /** Read a viewport layer for the map's view and draw it in place of what it showed; a
   * newer read aborts this one (its answer would be for a view the map has left). */
  private async read(key: string, layer: PluginLayer): Promise<void> {
    this.reading.get(key)?.abort()
    const controller = new AbortController()
    this.reading.set(key, controller)
    let data: FeatureCollection
    try {
      data = await api.request<FeatureCollection>('GET', layer.source, {
        query: viewOf(this.map), signal: controller.signal,
      })
    } catch (error) {
      if (controller.signal.aborted) return
      throw error
    } finally {
      if (this.reading.get(key) === controller) this.reading.delete(key)
    }
    if (controller.signal.aborted || !this.wanted.get(key)) return
    let drawn = this.drawn.get(key)
    if (!drawn) {
      drawn = draw(key, { type: 'FeatureCollection', features: [] }, layer.style)
      this.drawn.set(key, drawn)
    }
    drawn.clearLayers()
    drawn.addData(data)
    drawn.addTo(this.map)
  }
}

/** The map's view as a viewport layer's query: bbox clamped to valid degrees, integer zoom. */
function viewOf(map: L.Map): Query {
  const bounds = map.getBounds()
  const edge = (value: number, limit: number) => Math.max(-limit, Math.min(limit, value)).toFixed(6)
  const bbox = [
    edge(bounds.getWest(), 180), edge(bounds.getSouth(), 90),
    edge(bounds.getEast(), 180), edge(bounds.getNorth(), 90),
  ]
  return { bbox: bbox.join(','), zoom: Math.round(map.getZoom()) }
}

function draw(key: string, data: FeatureCollection, style: LayerStyle): L.GeoJSON {
  const className = `gh-plugin-layer gh-plugin-layer-${key}`
  const path: L.PathOptions = {
    color: style.color ?? '#2fa7ff',
    weight: style.weight ?? 2,
    fillColor: style.fillColor ?? style.color ?? '#2fa7ff',
    fillOpacity: style.fillOpacity ?? 0.3,
    className,
  }
  return L.geoJSON(data as FeatureCollection<Geometry>, {
    style: () => path,
    pointToLayer: (_feature, at) =>
      style.icon
        ? L.marker(at, { icon: L.icon({ iconUrl: style.icon, iconSize: [24, 24], className }) })
        : L.circleMarker(at, { ...path, radius: style.radius ?? 6 }),
    onEachFeature: (feature: Feature, made) => {
      const name = feature.properties?.name
      if (typeof name === 'string' && name) made.bindTooltip(textElement(name))
    },
  })
}

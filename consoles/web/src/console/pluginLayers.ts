// Plugins' map layers (hub/ui.py MapLayer) on the live map: GeoJSON read from the layer's
// `source` through the console's API client when first switched on, drawn with its `style`
// (Point features as circle markers, or the layer's icon), names shown as text only.
import L from 'leaflet'
import type { Feature, FeatureCollection, Geometry } from 'geojson'
import type { Contribution, LayerStyle } from '@/shared/extensions'
import { textElement } from '@/shared/text'
import { api } from './session'

export type PluginLayer = Contribution<'map_layers'>

export class PluginLayers {
  private readonly drawn = new Map<string, L.GeoJSON>()
  private readonly wanted = new Map<string, boolean>()

  constructor(private readonly map: L.Map) {}

  /** Show or hide a layer; its data is read the first time it is shown (rejects when it
   * cannot be read, and then it stays off). */
  async show(key: string, layer: PluginLayer, visible: boolean): Promise<void> {
    this.wanted.set(key, visible)
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

// ECharts, only the parts the big screen uses (tree-shaken).
import { BarChart, LineChart, PieChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components'
import { init, use, type EChartsType } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'

use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer])

export type Chart = EChartsType
export const makeChart = (element: HTMLElement): Chart => init(element, undefined, { renderer: 'canvas' })

export const AXIS = {
  axisLine: { lineStyle: { color: '#2b4a78' } },
  axisLabel: { color: '#9fb8dc' },
  splitLine: { lineStyle: { color: 'rgba(43, 74, 120, 0.4)' } },
}
/** Tooltips drawn on the canvas ('richText'), not as HTML: ECharts' HTML tooltips escape names
 * but carry inline style attributes, which the pages' CSP refuses (no 'unsafe-inline' styles);
 * on the canvas a grid name or an alarm type is only ever text. */
export const tooltip = (trigger: 'axis' | 'item') => ({
  trigger,
  renderMode: 'richText' as const,
  backgroundColor: 'rgba(11, 25, 48, 0.92)',
  borderColor: '#2b4a78',
  textStyle: { color: '#dbe7f7' },
})
export const PALETTE = ['#2fa7ff', '#19d3c5', '#f5c518', '#ff8a1f', '#ff3b4e', '#b57bff', '#3ddc84']

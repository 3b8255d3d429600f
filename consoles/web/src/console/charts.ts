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
export const PALETTE = ['#2fa7ff', '#19d3c5', '#f5c518', '#ff8a1f', '#ff3b4e', '#b57bff', '#3ddc84']

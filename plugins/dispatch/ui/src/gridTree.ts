// The grids in scope as a tree for a picker (新建事件's el-tree-select): towns and villages
// group the grids, and only grids (level 'grid') can be chosen. A flat list of a county's
// 60-odd grids could not be searched by where they are.
import type { ConsoleLive } from '@gridhub/host'

type GridNode = ConsoleLive['grids'][number]

export interface GridOption {
  value: string
  label: string
  children?: GridOption[]
}

export interface GridTree {
  nodes: GridOption[]
  /** the tops of the tree, open at first */
  roots: string[]
}

export function gridTree(all: readonly GridNode[]): GridTree {
  const inScope = all.filter((g) => g.in_scope)
  const byId = new Map(inScope.map((g) => [g.id, g]))
  const children = new Map<number | null, GridNode[]>()
  for (const grid of inScope) {
    const parent = grid.parent_id !== null && byId.has(grid.parent_id) ? grid.parent_id : null
    children.set(parent, [...(children.get(parent) ?? []), grid])
  }
  const build = (grid: GridNode): GridOption | null => {
    if (grid.level === 'grid') return { value: grid.code, label: `${grid.name} (${grid.code})` }
    const below = (children.get(grid.id) ?? []).map(build).filter((o): o is GridOption => o !== null)
    return below.length ? { value: grid.code, label: grid.name, children: below } : null // no grid under it: left out
  }
  const nodes = (children.get(null) ?? []).map(build).filter((o): o is GridOption => o !== null)
  return { nodes, roots: nodes.map((n) => n.value) }
}

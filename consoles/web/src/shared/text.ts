// Text that people or devices wrote (names, titles, comments, alarm types) is only ever shown as
// text. Vue templates (`{{ }}`, props) already do that. Libraries that also take HTML strings
// (Leaflet tooltips and icons) get DOM nodes made here instead: the text goes in through
// textContent, styles through the element's style object, so no user text is ever parsed as
// HTML and no markup carries an inline style the page's CSP would refuse (docs/security.md).

export interface ElementSpec {
  className?: string
  /** shown as text, never parsed */
  text?: string
  /** data-* attributes, e.g. {testid: 'x'} for data-testid="x" */
  data?: Record<string, string>
  style?: Partial<CSSStyleDeclaration>
  children?: HTMLElement[]
}

/** An element built with DOM calls only. */
export function element(tag: string, spec: ElementSpec = {}): HTMLElement {
  const made = document.createElement(tag)
  if (spec.className) made.className = spec.className
  if (spec.text !== undefined) made.textContent = spec.text
  Object.assign(made.dataset, spec.data ?? {})
  Object.assign(made.style, spec.style ?? {})
  for (const child of spec.children ?? []) made.appendChild(child)
  return made
}

/** A <span> showing `text` as it is, for APIs that take "HTML string or element". */
export function textElement(text: string, className?: string): HTMLElement {
  return element('span', { text, className })
}

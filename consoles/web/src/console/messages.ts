export const messages = {
  'zh-CN': { console: { title: 'GridHub 指挥调度台' } },
  en: { console: { title: 'GridHub Command Console' } },
}

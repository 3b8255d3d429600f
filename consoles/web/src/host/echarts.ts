// `echarts` for plugin bundles: the whole library, loaded only when a plugin imports it; it
// shares echarts/core (and its registered charts) with the big screen.
export * from 'echarts'

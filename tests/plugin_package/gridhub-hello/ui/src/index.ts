// The bundle's named exports, as hub/ui.py's ConsolePage and ScreenPanel name them.
export { default as GreetingsPage } from './GreetingsPage.vue'
export { default as GreetingsPanel } from './GreetingsPanel.vue'

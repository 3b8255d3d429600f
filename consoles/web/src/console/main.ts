import { createRouter, createWebHistory } from 'vue-router'
import { mountPage } from '@/shared/app'
import App from './App.vue'
import './hostConsole'
import { SHORT_ROUTES } from './plugins'
import { messages } from './messages'
import './theme.css'

const PluginPage = () => import('./views/PluginPage.vue')

const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', name: 'map', component: () => import('./views/MapView.vue') },
    // the console's own plugins' pages under their short addresses (plugins.ts SHORT_ROUTES)
    ...Object.entries(SHORT_ROUTES).map(([name, page]) => ({ path: `/${name}`, name, component: PluginPage, meta: { page } })),
    { path: '/channels', name: 'channels', component: () => import('./views/ChannelsView.vue') },
    { path: '/calls', name: 'calls', component: () => import('./views/CallsView.vue') },
    { path: '/people', name: 'people', component: () => import('./views/PeopleView.vue') },
    { path: '/screen', name: 'screen', component: () => import('./views/ScreenView.vue') },
    // plugins' pages (console/plugins.ts): known before the manifest is read, for deep links
    { path: '/p/:plugin/:page(.*)*', name: 'plugin', component: PluginPage },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

mountPage(App, { messages, dark: true, plugins: [router] })

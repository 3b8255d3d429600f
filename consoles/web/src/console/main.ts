import { createRouter, createWebHistory } from 'vue-router'
import { mountPage } from '@/shared/app'
import App from './App.vue'
import { messages } from './messages'
import './theme.css'

const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', name: 'map', component: () => import('./views/MapView.vue') },
    { path: '/incidents', name: 'incidents', component: () => import('./views/IncidentsView.vue') },
    { path: '/alarms', name: 'alarms', component: () => import('./views/AlarmsView.vue') },
    { path: '/channels', name: 'channels', component: () => import('./views/ChannelsView.vue') },
    { path: '/calls', name: 'calls', component: () => import('./views/CallsView.vue') },
    { path: '/people', name: 'people', component: () => import('./views/PeopleView.vue') },
    { path: '/screen', name: 'screen', component: () => import('./views/ScreenView.vue') },
    // plugins' pages (console/plugins.ts): known before the manifest is read, for deep links
    { path: '/p/:plugin/:page(.*)*', name: 'plugin', component: () => import('./views/PluginPage.vue') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

mountPage(App, { messages, dark: true, plugins: [router] })

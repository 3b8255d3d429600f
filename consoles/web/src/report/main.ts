import { mountPage } from '@/shared/app'
import App from './App.vue'
import { en, zh } from './i18n'

mountPage(App, { messages: { 'zh-CN': zh, en } })

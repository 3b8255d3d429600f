import { mountPage } from '@/shared/app'
import App from './App.vue'
import { messages } from './messages'

mountPage(App, { messages, dark: true })

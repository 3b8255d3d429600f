import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { i18n } from './i18n'
import { Calls } from './lib/calls'
import { Chat } from './lib/chat'
import { FIELD } from './lib/context'
import { Duty } from './lib/duty'
import { Session } from './lib/session'
import './field.css'

const session = new Session()
const field = { session, duty: new Duty(session), calls: new Calls(session), chat: new Chat(session) }

createApp(App).use(ElementPlus).use(i18n).provide(FIELD, field).mount('#app')

if (session.signedIn) {
  void session.start()
  field.duty.resume()
}

import { mountPage } from '@/shared/app'
import App from './App.vue'
import { en, zh } from './i18n'
import { Calls } from './lib/calls'
import { Chat } from './lib/chat'
import { setField } from './lib/context'
import { Duty } from './lib/duty'
import { Ptt } from './lib/ptt'
import { Session } from './lib/session'
import './field.css'

const session = new Session()
const duty = new Duty(session)
setField({ session, duty, calls: new Calls(session), chat: new Chat(session), ptt: new Ptt(session) })
mountPage(App, { messages: { 'zh-CN': zh, en } })

void session.restore().then((ok) => ok && duty.resume())

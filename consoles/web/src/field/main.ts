import { mountPage } from '@/shared/app'
import App from './App.vue'
import { en, zh } from './i18n'
import { Calls } from './lib/calls'
import { Chat } from './lib/chat'
import { Checkin } from './lib/checkin'
import { setField } from './lib/context'
import { Duty } from './lib/duty'
import { HotMic } from './lib/hotmic'
import { Ptt } from './lib/ptt'
import { Session } from './lib/session'
import './field.css'

const session = new Session()
const duty = new Duty(session)
setField({
  session, duty, calls: new Calls(session), chat: new Chat(session), ptt: new Ptt(session),
  hotMic: new HotMic(session), checkin: new Checkin(session),
})
mountPage(App, { messages: { 'zh-CN': zh, en } })

void session.restore().then((ok) => ok && duty.resume())

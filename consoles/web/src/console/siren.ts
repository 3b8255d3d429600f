// Loud alerts for CRITICAL alarms and SOS: a two-tone siren through WebAudio and a browser
// notification. The state is exposed for the browser tests on <body>:
//   data-gh-siren="playing" | "idle" | "blocked", data-gh-siren-count="<how many started>",
//   data-gh-siren-level="<peak amplitude measured at the siren's output>",
//   data-gh-notified="<notifications shown>".
import { reactive } from 'vue'

const SIREN_S = 3
const LOW_HZ = 660
const HIGH_HZ = 990

export const sirenState = reactive({ playing: false, blocked: false, count: 0, notified: 0, level: 0 })

let context: AudioContext | null = null

function marker(name: string, value: string | number): void {
  document.body.dataset[name] = String(value)
}

/** Create (or resume) the audio context; call from a user gesture (the login click). */
export async function unlockAudio(): Promise<boolean> {
  context ??= new AudioContext()
  if (context.state === 'suspended') {
    try {
      await context.resume()
    } catch {
      // resumed later from a click on the banner
    }
  }
  sirenState.blocked = context.state !== 'running'
  marker('ghSiren', sirenState.blocked ? 'blocked' : 'idle')
  return !sirenState.blocked
}

/** Play the siren for a few seconds; resolves with the peak level measured at its output. */
export async function playSiren(): Promise<number> {
  if (!(await unlockAudio()) || !context) return 0
  const ctx = context
  const oscillator = ctx.createOscillator()
  const gain = ctx.createGain()
  const analyser = ctx.createAnalyser()
  oscillator.type = 'square'
  const now = ctx.currentTime
  for (let i = 0; i < SIREN_S * 2; i += 1) {
    oscillator.frequency.setValueAtTime(i % 2 ? HIGH_HZ : LOW_HZ, now + i * 0.5)
  }
  gain.gain.setValueAtTime(0.35, now)
  gain.gain.setValueAtTime(0, now + SIREN_S)
  oscillator.connect(gain).connect(analyser).connect(ctx.destination)
  oscillator.start(now)
  oscillator.stop(now + SIREN_S + 0.05)
  sirenState.playing = true
  sirenState.count += 1
  marker('ghSiren', 'playing')
  marker('ghSirenCount', sirenState.count)
  oscillator.onended = () => {
    sirenState.playing = false
    marker('ghSiren', 'idle')
    analyser.disconnect()
  }
  const level = await measure(analyser)
  sirenState.level = level
  marker('ghSirenLevel', level.toFixed(3))
  return level
}

/** Peak amplitude over a few animation-free samples (proves the audio graph is producing sound). */
function measure(analyser: AnalyserNode): Promise<number> {
  const samples = new Float32Array(analyser.fftSize)
  return new Promise((resolve) => {
    let peak = 0
    let tries = 0
    const timer = window.setInterval(() => {
      analyser.getFloatTimeDomainData(samples)
      for (const s of samples) peak = Math.max(peak, Math.abs(s))
      tries += 1
      if (peak > 0.01 || tries >= 20) {
        window.clearInterval(timer)
        resolve(peak)
      }
    }, 25)
  })
}

/** Ask once for permission to show notifications (from a user gesture). */
export function askNotifications(): void {
  if ('Notification' in window && Notification.permission === 'default') {
    void Notification.requestPermission()
  }
}

export function notify(title: string, body: string, tag: string): void {
  if (!('Notification' in window) || Notification.permission !== 'granted') return
  try {
    const shown = new Notification(title, { body, tag, requireInteraction: true })
    shown.onclick = () => window.focus()
    sirenState.notified += 1
    marker('ghNotified', sirenState.notified)
  } catch {
    // some platforms only allow notifications from a service worker
  }
}

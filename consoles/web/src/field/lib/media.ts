// Photos from the camera and the device's position.

const MAX_SIDE = 1280

/** A photo shrunk to at most 1280 px a side, as a JPEG data URL (small enough to queue). */
export async function shrinkPhoto(file: File): Promise<string> {
  const bitmap = await createImageBitmap(file)
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height))
  const canvas = document.createElement('canvas')
  canvas.width = Math.max(1, Math.round(bitmap.width * scale))
  canvas.height = Math.max(1, Math.round(bitmap.height * scale))
  const g = canvas.getContext('2d')
  if (!g) throw new Error('no 2d canvas')
  g.fillStyle = '#fff'
  g.fillRect(0, 0, canvas.width, canvas.height)
  g.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
  bitmap.close()
  return canvas.toDataURL('image/jpeg', 0.82)
}

export function dataUrlToBlob(url: string): Blob {
  const [head, b64] = url.split(',', 2)
  const type = /data:([^;]+)/.exec(head)?.[1] ?? 'application/octet-stream'
  const bin = atob(b64)
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i += 1) bytes[i] = bin.charCodeAt(i)
  return new Blob([bytes], { type })
}

export interface Fix {
  lat: number
  lon: number
  accuracy: number
  heading: number | null
  speed: number | null
  at: number
}

// The newest fix any consumer got. A phone may not answer a second position request while
// the 在岗 watch runs, so the report form and task actions take this one when it is recent.
let newest: Fix | null = null

function toFix(p: GeolocationPosition): Fix {
  const c = p.coords
  const fix = {
    lat: c.latitude, lon: c.longitude, accuracy: Math.round(c.accuracy),
    heading: c.heading, speed: c.speed, at: p.timestamp / 1000,
  }
  if (!newest || fix.at >= newest.at) newest = fix
  return fix
}

/** The newest known fix when it is at most maxAgeS seconds old, else null. */
export function recentFix(maxAgeS = 60): Fix | null {
  return newest && Date.now() / 1000 - newest.at <= maxAgeS ? newest : null
}

/** The device's position now, or null when it is refused or takes too long. */
export function currentFix(timeoutMs = 8000): Promise<Fix | null> {
  return new Promise((resolve) => {
    if (!('geolocation' in navigator)) return resolve(null)
    navigator.geolocation.getCurrentPosition(
      (p) => resolve(toFix(p)),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30000 },
    )
  })
}

export function watchFix(onFix: (f: Fix) => void): () => void {
  if (!('geolocation' in navigator)) return () => undefined
  const id = navigator.geolocation.watchPosition((p) => onFix(toFix(p)), () => undefined, {
    enableHighAccuracy: true, maximumAge: 10000,
  })
  return () => navigator.geolocation.clearWatch(id)
}

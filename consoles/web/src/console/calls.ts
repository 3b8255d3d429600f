// 1:1 calls through the hub's signaling (docs/protocol.md, "Calls"): invite / ring / accept,
// then WebRTC offer/answer and trickle ICE relayed by the hub; media flows peer to peer.
// Glare is arbitrated by the hub: a refused offer (call.glare) is rolled back and the other
// side's offer answered.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { HubError } from '@/shared/api'
import { showError } from '@/shared/app'
import { gatheredOffer } from '@/shared/groupCall'
import { newId } from '@/shared/time'
import type { CallInfo, CallRinging, CallSignal, IceServers } from '@/shared/types'
import { api, realtime, session } from './session'

export const useCalls = defineStore('calls', () => {
  const call = shallowRef<CallInfo | null>(null)
  const incoming = shallowRef<CallRinging | null>(null)
  const local = shallowRef<MediaStream | null>(null)
  const remote = shallowRef<MediaStream | null>(null)
  const connection = ref<RTCPeerConnectionState | 'new'>('new')
  // The person last called who had no device connected (the hub said call.callee_offline).
  const offline = ref<number | null>(null)
  let pc: RTCPeerConnection | null = null
  let recorder: RTCPeerConnection | null = null
  let subscribed = false

  const peerId = computed(() => {
    const current = call.value
    if (!current) return null
    return current.caller_id === session.me.value?.person_id ? current.callee_id : current.caller_id
  })
  const isCaller = computed(() => call.value?.caller_id === session.me.value?.person_id)

  function subscribe(): void {
    if (subscribed) return
    subscribed = true
    realtime.on<CallRinging>('call.ringing', (ring) => {
      if (!call.value) incoming.value = ring
    })
    realtime.on<{ call_id: number }>('call.answered_elsewhere', (data) => {
      if (incoming.value?.call_id === data.call_id) incoming.value = null
    })
    realtime.on<CallInfo>('call.state', (state) => void onState(state))
    realtime.on<CallSignal>('call.signal', (signal) => void onSignal(signal))
  }

  async function onState(state: CallInfo): Promise<void> {
    if (incoming.value?.call_id === state.call_id && state.state === 'ended') incoming.value = null
    if (call.value?.call_id !== state.call_id) return
    const wasRinging = call.value.state === 'ringing'
    call.value = state
    if (state.state === 'ended') return cleanup()
    if (state.state === 'active' && wasRinging && isCaller.value) {
      await offer().catch(showError)
      await record(state.call_id).catch(showError)
    }
  }

  async function media(kind: 'audio' | 'video'): Promise<MediaStream | null> {
    if (!navigator.mediaDevices?.getUserMedia) return null
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: true, video: kind === 'video' })
    } catch {
      return null // no microphone/camera (or no permission): receive only
    }
  }

  async function peer(kind: 'audio' | 'video'): Promise<RTCPeerConnection> {
    const servers = await api.get<IceServers>('/api/v1/calls/ice-servers')
    const made = new RTCPeerConnection({ iceServers: servers.ice_servers })
    local.value = await media(kind)
    if (local.value) for (const track of local.value.getTracks()) made.addTrack(track, local.value)
    else {
      made.addTransceiver('audio', { direction: 'recvonly' })
      if (kind === 'video') made.addTransceiver('video', { direction: 'recvonly' })
    }
    made.ontrack = (event) => {
      remote.value = event.streams[0] ?? new MediaStream([event.track])
    }
    made.onicecandidate = (event) => {
      const current = call.value
      if (!current) return
      const candidate = event.candidate ? event.candidate.toJSON() : { candidate: '' }
      void realtime.call('call.signal', { call_id: current.call_id, kind: 'candidate', candidate }).catch(() => undefined)
    }
    made.onconnectionstatechange = () => (connection.value = made.connectionState)
    pc = made
    return made
  }

  /** When the deployment records 1:1 calls, publish our side to the recorder (docs/media.md). */
  async function record(callId: number): Promise<void> {
    const policy = await api.get<{ calls: boolean; video: boolean }>('/api/v1/recordings/policy')
    const tracks = local.value?.getTracks() ?? []
    const audio = tracks.find((track) => track.kind === 'audio')
    if (!policy.calls || !audio) return
    const made = new RTCPeerConnection({ iceServers: [] })
    made.addTransceiver(audio, { direction: 'sendonly' })
    const video = tracks.find((track) => track.kind === 'video')
    if (policy.video && video) made.addTransceiver(video, { direction: 'sendonly' })
    recorder = made
    const reply = await api.post<{ sdp: string }>('/api/v1/recordings/publish', {
      kind: 'call',
      ref: callId,
      sdp: await gatheredOffer(made),
    })
    if (recorder === made) await made.setRemoteDescription({ type: 'answer', sdp: reply.sdp })
  }

  async function offer(): Promise<void> {
    const current = call.value
    if (!current) return
    const made = await peer(current.media)
    const description = await made.createOffer()
    await made.setLocalDescription(description)
    try {
      await realtime.call('call.signal', { call_id: current.call_id, kind: 'offer', sdp: description.sdp })
    } catch (error) {
      // Glare: the other side's offer was recorded first and is on its way; drop ours.
      if (error instanceof HubError && error.code === 'call.glare') {
        if (made.signalingState === 'have-local-offer') await made.setLocalDescription({ type: 'rollback' })
      } else showError(error)
    }
  }

  async function onSignal(signal: CallSignal): Promise<void> {
    const current = call.value
    if (!current || signal.call_id !== current.call_id) return
    try {
      if (signal.kind === 'offer' || signal.kind === 'restart') {
        const made = pc ?? (await peer(current.media))
        // The hub relays only the offer that won (glare is arbitrated there): ours, if any, lost.
        if (made.signalingState === 'have-local-offer') await made.setLocalDescription({ type: 'rollback' })
        await made.setRemoteDescription({ type: 'offer', sdp: signal.sdp })
        const answer = await made.createAnswer()
        await made.setLocalDescription(answer)
        await realtime.call('call.signal', { call_id: current.call_id, kind: 'answer', sdp: answer.sdp })
      } else if (signal.kind === 'answer') {
        await pc?.setRemoteDescription({ type: 'answer', sdp: signal.sdp })
      } else if (signal.kind === 'candidate' && signal.candidate?.candidate) {
        await pc?.addIceCandidate(signal.candidate)
      }
    } catch (error) {
      showError(error)
    }
  }

  async function invite(personId: number, kind: 'audio' | 'video' = 'audio'): Promise<void> {
    subscribe()
    if (call.value) return
    try {
      call.value = await realtime.call<CallInfo>('call.invite', { callee_id: personId, media: kind, client_call_id: newId() })
      if (call.value.state === 'ended') window.setTimeout(() => (call.value = null), 3000)
    } catch (error) {
      call.value = null
      if (error instanceof HubError && error.code === 'call.callee_offline') offline.value = personId
      else showError(error)
    }
  }

  async function accept(): Promise<void> {
    const ring = incoming.value
    if (!ring) return
    incoming.value = null
    try {
      call.value = await realtime.call<CallInfo>('call.accept', { call_id: ring.call_id })
      await peer(ring.media) // the caller sends the offer once the call is active
      await record(ring.call_id)
    } catch (error) {
      showError(error)
      cleanup()
    }
  }

  async function decline(): Promise<void> {
    const ring = incoming.value
    incoming.value = null
    if (ring) await realtime.call('call.decline', { call_id: ring.call_id }).catch(showError)
  }

  async function hangup(): Promise<void> {
    const current = call.value
    if (current && current.state !== 'ended') {
      await realtime.call('call.hangup', { call_id: current.call_id }).catch(() => undefined)
    }
    cleanup()
  }

  function cleanup(): void {
    pc?.close()
    pc = null
    recorder?.close()
    recorder = null
    local.value?.getTracks().forEach((track) => track.stop())
    local.value = null
    remote.value = null
    connection.value = 'new'
    const ended = call.value
    if (ended) window.setTimeout(() => {
      if (call.value?.call_id === ended.call_id) call.value = null
    }, 2500)
  }

  return { call, incoming, offline, local, remote, connection, peerId, isCaller, subscribe, invite, accept, decline, hangup }
})

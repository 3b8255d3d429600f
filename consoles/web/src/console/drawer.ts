// Which incident the detail drawer shows (one drawer for the whole console).
import { defineStore } from 'pinia'
import { ref } from 'vue'

export const useIncidentDrawer = defineStore('incident-drawer', () => {
  const incidentId = ref<number | null>(null)
  const open = (id: number): void => {
    incidentId.value = id
  }
  const close = (): void => {
    incidentId.value = null
  }
  return { incidentId, open, close }
})

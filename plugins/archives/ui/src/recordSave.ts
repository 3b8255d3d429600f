// How the archive's console forms save (HouseForm, PersonForm, PlaceForm, OrgForm): an edit sends
// only the fields that differ from the record read, with that record's version (a record changed
// meanwhile is refused: archives.version_conflict), as a PATCH; a new record is a POST. Either
// way a structured error is shown in words (showError) and the form stays open.
import { ref, type Ref } from 'vue'
import { ElMessage } from 'element-plus'
import { api, showError, text } from '@gridhub/host'

export type Body = Record<string, unknown>
export type Choice = [value: string, zh: string, en: string]

/** The text fields of `form` that differ from `record` (the record's null counts as ''). */
export function changedText(form: Record<string, string>, record: object, keys: readonly string[]): Body {
  const out: Body = {}
  const old = record as Record<string, unknown>
  for (const key of keys) {
    if (form[key] !== (old[key] ?? '')) out[key] = form[key]
  }
  return out
}

/** An optional number typed as text: '' is null, anything else must be a finite number. */
export function typedNumber(value: string): number | null | undefined {
  if (value.trim() === '') return null
  const found = Number(value)
  return Number.isFinite(found) ? found : undefined
}

/** The number fields of `form` that differ from `record` (an emptied field is not sent). */
export function changedNumbers(form: Record<string, string>, record: object, keys: readonly string[]): Body {
  const out: Body = {}
  const old = record as Record<string, unknown>
  for (const key of keys) {
    const value = typedNumber(form[key] ?? '')
    if (value !== null && value !== undefined && value !== old[key]) out[key] = value
  }
  return out
}

/** True when every named field is empty or a number; else says so and answers false. */
export function numbersOk(form: Record<string, string>, keys: readonly string[]): boolean {
  if (keys.every((key) => typedNumber(form[key] ?? '') !== undefined)) return true
  ElMessage.error(text('数字字段须填写数字', 'Number fields take numbers'))
  return false
}

export interface RecordSave {
  saving: Ref<boolean>
  /** PATCH the changes with the version read; false when nothing changed or the hub refused. */
  patch(url: string, body: Body, version: number): Promise<boolean>
  /** POST a new record; its answer, or null when the hub refused. */
  create<T>(url: string, body: Body): Promise<T | null>
}

export function useRecordSave(): RecordSave {
  const saving = ref(false)

  async function send<T>(call: () => Promise<T>): Promise<T | null> {
    saving.value = true
    try {
      const answer = await call()
      ElMessage.success(text('已保存', 'Saved'))
      return answer
    } catch (error) {
      showError(error)
      return null
    } finally {
      saving.value = false
    }
  }

  async function patch(url: string, body: Body, version: number): Promise<boolean> {
    if (Object.keys(body).length === 0) {
      ElMessage.info(text('没有修改', 'Nothing changed'))
      return false
    }
    return (await send(() => api.patch<Body>(url, { ...body, version }))) !== null
  }

  function create<T>(url: string, body: Body): Promise<T | null> {
    return send(() => api.post<T>(url, body))
  }

  return { saving, patch, create }
}

/** A new record's grid: true when picked, else says so. */
export function gridPicked(grid: number | null): grid is number {
  if (grid !== null) return true
  ElMessage.error(text('请选择网格', 'Pick a grid'))
  return false
}

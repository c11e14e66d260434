/** Ready-made extraction schemas. Strict structured outputs need every property required and no extras. */

export interface ExtractionPreset {
  description: string;
  instructions: string;
  schema: Record<string, unknown>;
}

const stringList = (description: string) => ({ type: 'array', items: { type: 'string' }, description });

export const PRESETS: Record<string, ExtractionPreset> = {
  'clinical-voice-note': {
    description: 'Medications, complaints and symptoms, decisions and plan, follow-up actions from a clinical voice note.',
    instructions:
      'Extract structured clinical information from this voice note transcript: medications mentioned (name, dose, frequency), ' +
      'patient complaints or symptoms, clinical decisions or plan items, and follow-up actions required. ' +
      'Use only what the transcript says; leave a list empty and a field an empty string when it is not mentioned.',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['medications', 'complaints', 'symptoms', 'decisions', 'follow_up'],
      properties: {
        medications: {
          type: 'array',
          description: 'Medications mentioned.',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'dose', 'frequency'],
            properties: {
              name: { type: 'string' },
              dose: { type: 'string', description: 'e.g. "500 mg"; empty when not said.' },
              frequency: { type: 'string', description: 'e.g. "twice daily"; empty when not said.' },
            },
          },
        },
        complaints: stringList('Patient complaints in their words.'),
        symptoms: stringList('Symptoms reported or observed.'),
        decisions: stringList('Clinical decisions and plan items.'),
        follow_up: stringList('Follow-up actions required.'),
      },
    },
  },
  'document-fields': {
    description: 'Title, date, parties, key-value fields and tables of a scanned form or letter.',
    instructions: 'Extract the fields of this document. Keep values exactly as written.',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['title', 'date', 'parties', 'fields'],
      properties: {
        title: { type: 'string' },
        date: { type: 'string', description: 'As written; empty when absent.' },
        parties: stringList('People or organisations named.'),
        fields: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['label', 'value'],
            properties: { label: { type: 'string' }, value: { type: 'string' } },
          },
        },
      },
    },
  },
};

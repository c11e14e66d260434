/** Prompts taken from the seed article, shared by nodes and presets. */

export const CLINICAL_IMAGE_SYSTEM_PROMPT = `You are a medical image analysis assistant supporting licensed clinicians.
IMPORTANT LIMITATIONS:
- Image analysis requires clinical correlation — do not make diagnostic conclusions
- Describe what you observe in the image, not what diagnosis it implies
- Always recommend formal radiologist or specialist review for clinical decisions`;

export const VERBATIM_OCR_PROMPT = `Transcribe ALL text visible in this image exactly as written.
Preserve formatting where meaningful (tables, lists) as Markdown.
Return ONLY the transcribed text, nothing else.`;

export const RAG_CAPTION_PROMPT = 'Describe this image in detail. Include all visible text, numbers, and clinical content.';

export const CLINICAL_TRANSCRIPTION_PROMPT = 'This is a clinical consultation. Medical terminology should be preserved accurately.';

/**
 * Records a voice note from the microphone with MediaRecorder (webm/opus where the browser has it, which
 * the API accepts as audio). `stop()` gives the recording as a File ready to upload.
 */
export interface Recording {
  stop(): Promise<File>;
  cancel(): void;
}

export async function startRecording(): Promise<Recording> {
  if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined') {
    throw new Error('This browser cannot record audio here (recording needs MediaRecorder and a secure origin such as localhost).');
  }
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const mimeType = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm'].find((t) => MediaRecorder.isTypeSupported(t));
  const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
  const chunks: Blob[] = [];
  recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
  recorder.start(250);
  const release = () => stream.getTracks().forEach((t) => t.stop());
  return {
    stop: () =>
      new Promise<File>((resolve) => {
        recorder.onstop = () => {
          release();
          const type = recorder.mimeType || 'audio/webm';
          const ext = type.includes('ogg') ? 'ogg' : 'webm';
          resolve(new File(chunks, `voice-note-${new Date().toISOString().replace(/[:.]/g, '-')}.${ext}`, { type }));
        };
        recorder.stop();
      }),
    cancel: () => {
      recorder.onstop = release;
      recorder.stop();
    },
  };
}

import { createApp } from 'vue';
import App from './App.vue';
import { session } from './session.ts';
import './styles.css';

const app = createApp(App);
// A bug in a component shows as an error line with a code, never as a blank page.
app.config.errorHandler = (err) => {
  console.error(err);
  session.error = { code: 'EDITOR_ERROR', message: `The editor hit an unexpected error: ${(err as Error)?.message ?? String(err)}. Reload the page; unsaved changes may be lost.` };
};
app.mount('#app');

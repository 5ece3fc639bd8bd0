// Entry point of the bundle (scripts/build-web.ts); styles.css is bundled beside it.
import { render } from 'preact';
import { App } from './app.tsx';

render(<App />, document.getElementById('app')!);

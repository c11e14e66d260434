/** Auto-arrange with ELK, loaded on first use (the page does not carry it) and run in a Web Worker (elk-api.ts). */
import type { NodeEditor } from 'rete';
import type { AreaPlugin } from 'rete-area-plugin';
import { AutoArrangePlugin, Presets } from 'rete-auto-arrange-plugin';
import type { Schemes } from './schemes.ts';

const plugins = new WeakMap<object, AutoArrangePlugin<Schemes>>();

export async function arrange(editor: NodeEditor<Schemes>, area: AreaPlugin<Schemes, any>): Promise<void> {
  let plugin = plugins.get(area);
  if (!plugin) {
    plugin = new AutoArrangePlugin<Schemes>();
    plugin.addPreset(Presets.classic.setup());
    area.use(plugin as never);
    plugins.set(area, plugin);
  }
  await plugin.layout({ options: { 'elk.direction': 'RIGHT', 'elk.spacing.nodeNode': '40', 'elk.layered.spacing.nodeNodeBetweenLayers': '80' } });
  void editor;
}

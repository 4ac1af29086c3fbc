/**
 * The scenario the user simulates as a source of the series order (checks/series.ts, priority 3:
 * below the `livepatch.series` setting and series files, above a guess). The scenario is the one
 * last run through `livepatch/runSimulation` (simulation.ts calls `useSimulatedScenario`), or
 * else the `.klpsim` document last opened or edited. Its `insmod`/`modprobe` lines, in order,
 * become the order; the checks receive it as data and never parse a scenario themselves.
 */
import { basename, dirname, resolve } from 'node:path';
import type { ServerCapabilities } from 'vscode-languageserver';
import { seriesFromScenario, type ScenarioLoad, type SeriesOrder } from '../../checks/series';
import { moduleByName, moduleForKo } from '../../sim/scenario/modules';
import { parseScenario } from '../../sim/scenario/parse';
import type { ServerContext } from '../context';
import { PathDebouncer } from '../debounce';
import type { OpenDocument } from '../documents';

/**
 * The modules a scenario loads, in order, each with its main C file when it can be found as the
 * simulator finds it (beside the `.ko`, or below the scenario's folder for modprobe).
 */
export function scenarioLoads(text: string, scenarioPath: string): ScenarioLoad[] {
  const folder = dirname(scenarioPath);
  const loads: ScenarioLoad[] = [];
  for (const { command, line } of parseScenario(text).lines) {
    if (command.kind === 'insmod') {
      const source = moduleForKo(resolve(folder, command.path));
      loads.push({ text: command.path, path: source?.mainFiles[0], line: line - 1 });
    } else if (command.kind === 'modprobe') {
      const source = moduleByName(folder, command.name);
      loads.push({ text: command.name, path: source?.mainFiles[0], line: line - 1 });
    }
  }
  return loads;
}

/** The series a scenario gives, or undefined when it loads fewer than two modules (no order then). */
export function scenarioSeries(label: string, text: string, scenarioPath: string): SeriesOrder | undefined {
  const order = seriesFromScenario(label, scenarioLoads(text, scenarioPath));
  return order.entries.length >= 2 ? order : undefined;
}

interface Active {
  /** The scenario file, or the path a generated scenario runs from. */
  path: string;
  /** Set by a simulation run: it stays the source when its document closes. */
  simulated: boolean;
}

const registered = new WeakMap<ServerContext, (active: Active, order: SeriesOrder | undefined) => void>();

/**
 * Hook for simulation.ts: the scenario just simulated gives the order from now on. Generated
 * scenarios that follow the series already (the default one) or load one module are no source.
 */
export function useSimulatedScenario(context: ServerContext, scenario: { label: string; text: string; path: string }): void {
  registered.get(context)?.({ path: scenario.path, simulated: true }, scenarioSeries(scenario.label, scenario.text, scenario.path));
}

export function register(context: ServerContext): ServerCapabilities {
  let active: Active | undefined;
  /** Open scenarios, oldest first: when the active one closes, the newest remaining one takes over. */
  const open = new Map<string, OpenDocument>();
  const pending = new PathDebouncer(() => context.settings.diagnostics.debounceMs);

  const apply = (next: Active | undefined, order: SeriesOrder | undefined) => {
    active = next;
    if (!context.hasAnalyzer) return;
    if (context.analyzer.setScenarioSeries(order)) {
      context.log.info(order ? `series order from ${order.source}: ${order.entries.map((entry) => entry.text).join(', ')}` : 'no scenario gives the series order');
      void context.diagnostics.republishAll();
      context.refreshCodeLenses();
    }
  };
  registered.set(context, apply);

  const fromDocument = (document: OpenDocument) => scenarioSeries(basename(document.path), document.document.getText(), document.path);

  const useDocument = context.safe('scenario series order', undefined, (document: OpenDocument) => {
    if (!open.has(document.path)) return;
    // A scenario that was simulated stays the source until another one is simulated or edited.
    apply({ path: document.path, simulated: false }, fromDocument(document));
  });

  context.documents.onDidOpenScenario((document) => {
    open.delete(document.path);
    open.set(document.path, document);
    if (active?.simulated && active.path !== document.path) return;
    void useDocument(document);
  });

  context.documents.onDidChangeScenario((document) => {
    pending.schedule(document.path, () => void useDocument(document));
  });

  context.documents.onDidCloseScenario(
    context.safe('scenario series order on close', undefined, (document: OpenDocument) => {
      pending.cancel(document.path);
      open.delete(document.path);
      if (active?.path !== document.path || active.simulated) return;
      const newest = [...open.values()].pop();
      if (newest) apply({ path: newest.path, simulated: false }, fromDocument(newest));
      else apply(undefined, undefined);
    }),
  );

  context.onShutdown(() => pending.dispose());
  return {};
}

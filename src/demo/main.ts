/**
 * The demo and QA page. Order matters: subscribe to the widget's events through the documented
 * queue, then insert its script tag exactly as a site would write it, then draw the QA panel.
 */
import { readDemoConfig } from './config.ts';
import { EventLog } from './event-log.ts';
import { embedWidget, listenToAllEvents } from './guestchat.ts';
import { mountQaPanel } from './qa-panel.ts';
import { wireSite } from './site.ts';

const config = readDemoConfig(location.search);
const log = new EventLog();

listenToAllEvents((name, detail) => log.add('event', name, detail));
embedWidget(config.dataset, (problem, detail) => log.add('note', problem, detail));

for (const note of config.notes) log.add('note', note);
wireSite();
mountQaPanel(config, log);

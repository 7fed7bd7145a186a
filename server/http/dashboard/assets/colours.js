// The status colours of the dashboard, defined here only: the map, the legend and the table use
// them, and tests/e2e/dashboard_check.mjs checks a screenshot for them (read from the page).
// "cleared" covers awaiting_measurement (cleared by the operator, waiting for the measurements);
// "reopened" is an open gap whose clearance was not confirmed (or that the authority reopened).
'use strict';
window.COVGAP_STATUS_COLOURS = Object.freeze({
  open: '#e41a1c',
  planned: '#ff7f00',
  cleared: '#1f62d8',
  awaiting_measurement: '#1f62d8',
  verified: '#2ca02c',
  reopened: '#9c27b0',
});

#!/usr/bin/env node
// A committed, executable entry point: npm links bins before the build has produced dist/.
import '../dist/main.js';

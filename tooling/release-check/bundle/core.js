// Everything @stepsize/core exports, as a browser bundle would carry it (size budget).
export * from '@stepsize/core';

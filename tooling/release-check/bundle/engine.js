// Everything @stepsize/engine exports, with @stepsize/core external (size budget).
export * from '@stepsize/engine';

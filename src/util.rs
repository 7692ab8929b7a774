//! Small helpers shared by the library's writers.

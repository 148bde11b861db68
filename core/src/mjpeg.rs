//! MJPEG containers: the lab's `movie.Mjpeg` and raw concatenated JPEG.

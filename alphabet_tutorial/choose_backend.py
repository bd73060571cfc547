"""The first lines of a script whose Keras runs on JAX, as the backends chapter shows
them: `python -m alphabet_tutorial.choose_backend` runs them and prints `jax`.
(The backend processes of alphabet_tutorial/backends.py do the same with the backend's
name from their command line.)
"""

if __name__ == "__main__":
    # --8<-- [start:choose]
    import os

    os.environ["KERAS_BACKEND"] = "jax"  # before anything imports Keras or TensorFlow

    import keras

    print(keras.config.backend())  # jax
    # --8<-- [end:choose]

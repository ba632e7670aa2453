"""genhub's Space: `python app.py` serves every tab on 0.0.0.0:7860 (or $GRADIO_SERVER_PORT); the tabs are in space/."""

from space import LAUNCH, build_demo

demo = build_demo()

if __name__ == "__main__":
    demo.launch(server_name="0.0.0.0", **LAUNCH)

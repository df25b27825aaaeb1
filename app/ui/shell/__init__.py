"""The program's frame: QApplication set-up, the start screen, opening files, the main window and its tabs."""

"""Sign-in with the Django session: the console's own form, or the admin's (same session)."""

from django.contrib.auth import logout as end_session
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect
from django.views.decorators.http import require_POST


class ConsoleLoginView(LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True
    next_page = "/ui/"


login = ConsoleLoginView.as_view()


@require_POST
def logout(request):
    end_session(request)
    return redirect("console:login")
